import Foundation
import ScoreKitCore

/// `nfe-quality.svg`: one panel per metric, NFE used per sample on a log axis, one curve per
/// sampler, the metric's noise floor as a dashed line. Signed gaps (closer to 0 is better) are
/// drawn as |value| on a log axis, so one wild cell does not flatten the rest. Ten colours,
/// solid then dashed, tell up to twenty samplers apart. Hand-written SVG, no dependencies.
public enum NFEQualityPlot {
    static let panelWidth = 440.0, panelHeight = 300.0
    static let margin = (left: 70.0, right: 16.0, top: 30.0, bottom: 42.0)
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf"]
    static let legendColumns = 3

    /// The SVG text.
    public static func svg(_ r: ComparisonResults) -> String {
        let columns = min(2, max(r.metrics.count, 1)), panelRows = (r.metrics.count + columns - 1) / columns
        let legendRows = (r.rows.count + legendColumns - 1) / legendColumns
        let legendHeight = 24.0 + 18 * Double(legendRows)
        let width = Double(columns) * panelWidth, height = legendHeight + Double(max(panelRows, 1)) * panelHeight
        var out = [String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">", width, height, width, height),
                   "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                   "<text x=\"10\" y=\"16\" font-size=\"13\">\(escape("\(r.model): quality against NFE per sample, \(r.count) samples per cell"))</text>"]
        for (i, row) in r.rows.enumerated() {
            let column = Double(i % legendColumns), x = 10 + column * (width - 20) / Double(legendColumns)
            let y = 34 + 18 * Double(i / legendColumns)
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>", x, y - 4, x + 18, y - 4, colour(i), dash(i)))
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\">", x + 22, y) + escape(shortened(row.label, 40)) + "</text>")
        }
        if r.metrics.isEmpty {
            out.append(String(format: "<text x=\"20\" y=\"%.1f\">no metrics apply to this model</text>", legendHeight + 40))
        }
        for (k, metric) in r.metrics.enumerated() {
            let origin = (x: Double(k % columns) * panelWidth, y: legendHeight + Double(k / columns) * panelHeight)
            out += panel(r, metric, origin: origin)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    static func colour(_ i: Int) -> String { palette[i % palette.count] }
    /// Solid for the first ten series, dashed for the next ten, and so on alternating.
    static func dash(_ i: Int) -> String { (i / palette.count) % 2 == 1 ? " stroke-dasharray=\"6,3\"" : "" }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func shortened(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    /// The (NFE, value) points of a sampler for a metric, by NFE (|value| for signed gaps).
    static func points(_ r: ComparisonResults, _ row: ComparisonResults.Row, _ metric: ComparisonResults.MetricInfo) -> [(Double, Double)] {
        r.budgets.compactMap { b -> (Double, Double)? in
            guard let cell = r.cell(row, b), let nfe = cell.nfe?.mean, nfe > 0, let v = cell.metrics[metric.name], v.isFinite else { return nil }
            return (nfe, metric.goal == .nearZero ? max(abs(v), 1e-12) : v)
        }.sorted { $0.0 < $1.0 }
    }

    /// The noise floor as drawn: for signed gaps, the typical |gap| of exact data, |mean| + sd.
    static func floor(_ metric: ComparisonResults.MetricInfo) -> (value: Double, sd: Double?)? {
        guard let f = metric.noiseFloor else { return nil }
        guard metric.goal == .nearZero else { return (f, metric.noiseFloorSD) }
        return (abs(f) + (metric.noiseFloorSD ?? 0), nil)
    }

    private static func panel(_ r: ComparisonResults, _ metric: ComparisonResults.MetricInfo,
                              origin: (x: Double, y: Double)) -> [String] {
        let series = r.rows.map { points(r, $0, metric) }
        let xs = series.flatMap { $0.map(\.0) }
        let floorLine = floor(metric)
        let ys = series.flatMap { $0.map(\.1) } + (floorLine.map { [$0.value] } ?? [])
            + (floorLine.flatMap { f in f.sd.map { [f.value + $0] } } ?? [])
        let plot = (x: origin.x + margin.left, y: origin.y + margin.top,
                    w: panelWidth - margin.left - margin.right, h: panelHeight - margin.top - margin.bottom)
        var out = [String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", plot.x, origin.y + 18)
                   + escape(shortened(metric.goal == .nearZero ? "|\(metric.name)| — closer to 0 is better" : "\(metric.name) — \(metric.goal.phrase)", 60)) + "</text>",
                   String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>", plot.x, plot.y, plot.w, plot.h)]
        guard !xs.isEmpty else {
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666\">no finished cells</text>", plot.x + 10, plot.y + 20))
            return out
        }
        let xAxis = Axis(values: xs, logarithmic: true)
        let yAxis = Axis(values: ys, logarithmic: ys.allSatisfy { $0 > 0 } && (ys.max()! / ys.min()!) > 20)
        func px(_ v: Double) -> Double { plot.x + xAxis.position(v) * plot.w }
        func py(_ v: Double) -> Double { plot.y + (1 - yAxis.position(v)) * plot.h }
        for t in xAxis.ticks {
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", px(t), plot.y, px(t), plot.y + plot.h))
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(t), plot.y + plot.h + 14, Axis.label(t)))
        }
        for t in yAxis.ticks {
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", plot.x, py(t), plot.x + plot.w, py(t)))
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", plot.x - 4, py(t) + 4, Axis.label(t)))
        }
        out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">NFE per sample (log scale)</text>", plot.x + plot.w / 2, plot.y + plot.h + 32))
        if let (floor, sd) = floorLine {
            if let sd, sd > 0 {
                let top = py(min(floor + sd, yAxis.hi)), bottom = py(max(floor - sd, yAxis.lo))
                out.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#000\" fill-opacity=\"0.07\"/>", plot.x, top, plot.w, max(bottom - top, 0)))
            }
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>", plot.x, py(floor), plot.x + plot.w, py(floor)))
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">noise floor</text>", plot.x + plot.w - 4, py(floor) - 4))
        }
        for (i, pts) in series.enumerated() where !pts.isEmpty {
            let path = pts.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            out.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"1.8\"\(dash(i))/>")
            for p in pts {
                out.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.8\" fill=\"%@\"/>", px(p.0), py(p.1), colour(i)))
            }
        }
        return out
    }
}

/// A plot axis: its range (nice round ends) and ticks, linear or logarithmic.
struct Axis {
    let lo: Double, hi: Double
    let logarithmic: Bool
    let ticks: [Double]

    init(values: [Double], logarithmic: Bool) {
        self.logarithmic = logarithmic
        let minV = values.min()!, maxV = values.max()!
        if logarithmic {
            var a = floor(log10(minV)), b = ceil(log10(maxV))
            if a == b { a -= 0.5; b += 0.5 }
            lo = pow(10, a); hi = pow(10, b)
            let decades = Int(ceil(b) - floor(a))
            let multiples: [Double] = decades <= 3 ? [1, 2, 5] : [1]
            var candidates: [Double] = []
            for e in Int(floor(a))...Int(ceil(b)) {
                let power = pow(10.0, Double(e))
                for m in multiples { candidates.append(m * power) }
            }
            let (low, high) = (lo * 0.999, hi * 1.001)
            ticks = candidates.filter { $0 >= low && $0 <= high }
        } else {
            let span = maxV - minV
            let pad = span > 0 ? 0.08 * span : max(abs(maxV) * 0.1, 1e-3)
            let step = Axis.niceStep((span + 2 * pad) / 5)
            lo = floor((minV - pad) / step) * step
            hi = ceil((maxV + pad) / step) * step
            ticks = stride(from: lo, through: hi + step * 1e-9, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let e = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * e }.first { $0 >= raw * 0.999 } ?? 10 * e
    }

    /// Where v falls, 0…1 from lo to hi.
    func position(_ v: Double) -> Double {
        logarithmic ? (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) : (v - lo) / (hi - lo)
    }

    /// A short tick label.
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e-3 && a < 1e5 { return String(format: "%g", (v * 1e6).rounded() / 1e6) }
        return String(format: "%.0e", v)
    }
}
