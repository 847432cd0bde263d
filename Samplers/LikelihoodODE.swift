import Foundation
import ScoreKitCore

/// One batch's likelihood integration (see `Likelihood`): per row the state x, the integral ℓ,
/// their slopes at the current point (first same as last, as in `RK45`), log σ and the step
/// size; only the rows still running are evaluated, each with its own step.
struct LikelihoodODE {
    let settings: Likelihood
    let model: any DifferentiableDenoiser
    let exact: Bool
    /// Each row's Rademacher probes (Hutchinson), each `[N] + sampleShape`.
    let probes: [Tensor]
    let dimension: Int
    /// The state, and its slope `x − D` at the current point.
    var x: Tensor, slope: Tensor
    /// ℓ and its slope `d − tr J` at the current point.
    var ell: [Double], ellSlope: [Double]
    var s: [Double], h: [Double], rejected: [Bool]
    let sStart: Double, sEnd: Double
    var running: [Int]
    var nfe: [Int], products: [Int], attempts: [Int]

    init(settings: Likelihood, model: any DifferentiableDenoiser, data: Tensor, noise: any NoiseSource) throws {
        self.settings = settings
        self.model = model
        exact = settings.divergence == .exact
        let n = data.rows
        probes = exact ? [] : try (0..<settings.probes).map { _ in
            try Self.rademacher(noise.normal(rows: nil, shape: data.rowShape))
        }
        dimension = data.rowSize
        x = data
        slope = data
        ell = Array(repeating: 0, count: n)
        ellSlope = ell
        sStart = log(settings.sigmaMin!)
        sEnd = log(settings.sigmaMax!)
        s = Array(repeating: sStart, count: n)
        h = Array(repeating: 0, count: n)
        rejected = Array(repeating: false, count: n)
        running = Array(0..<n)
        (nfe, products, attempts) = (Array(repeating: 0, count: n), Array(repeating: 0, count: n), Array(repeating: 0, count: n))
    }

    /// ±1 by the signs of standard-normal draws (each sign is a fair coin).
    static func rademacher(_ z: Tensor) -> Tensor {
        Tensor(shape: z.shape, scalars: z.scalars.map { $0 < 0 ? -1 : 1 })
    }

    /// Integrates every row to σ_max.
    mutating func run(progress: ((Double) -> Void)?) throws {
        guard !running.isEmpty else { return }
        let start = try evaluate(running, x, sigma: running.map { _ in settings.sigmaMin! }, products: true)
        slope = x - start.denoised
        ellSlope = start.trace.map { Double(dimension) - $0 }
        try chooseFirstSteps()
        while !running.isEmpty {
            try attempt()
            progress?(fractionDone)
        }
    }

    /// The share of the way from log σ_min to log σ_max the rows have come, on average.
    var fractionDone: Double {
        s.reduce(0) { $0 + ($1 - sStart) / (sEnd - sStart) } / Double(max(s.count, 1))
    }

    /// `D` at `y` for `rows` and, with `products`, each row's trace (exact or estimated).
    private mutating func evaluate(_ rows: [Int], _ y: Tensor, sigma: [Double], products: Bool) throws -> (denoised: Tensor, trace: [Double]) {
        let cotangents = products ? (exact ? unitVectors(rows: rows.count, shape: y.rowShape) : probes.map { $0.gatherRows(rows) }) : []
        let (d, pulled) = try model.denoise(y, sigma: sigma, pullingBack: cotangents)
        for (p, row) in rows.enumerated() {
            nfe[row] += 1
            self.products[row] += cotangents.count
            let values = d.row(p)
            guard values.allSatisfy(\.isFinite) else { throw LikelihoodError.nonFinite(row: row, sigma: sigma[p]) }
        }
        guard products else { return (d, []) }
        let n = dimension
        let trace = rows.indices.map { p -> Double in
            var sum = 0.0
            if exact {
                for i in 0..<n { sum += Double(pulled[i].scalars[p * n + i]) }
                return sum
            }
            for (probe, product) in zip(cotangents, pulled) {
                for j in (p * n)..<((p + 1) * n) { sum += Double(probe.scalars[j]) * Double(product.scalars[j]) }
            }
            return sum / Double(cotangents.count)
        }
        if let p = trace.firstIndex(where: { !$0.isFinite }) { throw LikelihoodError.nonFinite(row: rows[p], sigma: sigma[p]) }
        return (d, trace)
    }

    /// The d tensors whose rows are the unit vector e_i.
    private func unitVectors(rows: Int, shape: [Int]) -> [Tensor] {
        let n = dimension
        return (0..<n).map { i in
            var values = [Float](repeating: 0, count: rows * n)
            for r in 0..<rows { values[r * n + i] = 1 }
            return Tensor(shape: [rows] + shape, scalars: values)
        }
    }

    /// Hairer's starting step on the state x (as `RK45Rows.chooseFirstSteps`), one probe
    /// evaluation per row without products.
    private mutating func chooseFirstSteps() throws {
        let (rtol, atol) = (settings.rtol, settings.atol)
        let rows = running, span = sEnd - sStart
        let x0 = x.gatherRows(rows), f0 = slope.gatherRows(rows)
        let d0 = scaledRMS(x0, x0, x0, rtol: rtol, atol: atol), d1 = scaledRMS(f0, x0, x0, rtol: rtol, atol: atol)
        let h0 = rows.indices.map { p in min(d0[p] < 1e-5 || d1[p] < 1e-5 ? 1e-6 : 0.01 * d0[p] / d1[p], span) }
        let y1 = Tensor.combination([(1, x0), (.perRow(h0), f0)])
        let sigma1 = h0.map { $0 < span ? exp(sStart + $0) : settings.sigmaMax! }
        let f1 = y1 - (try evaluate(rows, y1, sigma: sigma1, products: false).denoised)
        let d2 = zip(scaledRMS(f1 - f0, x0, x0, rtol: rtol, atol: atol), h0).map { $0 / $1 }
        for (p, row) in rows.enumerated() {
            let d = max(d1[p], d2[p])
            let h1 = d <= 1e-15 ? max(1e-6, h0[p] * 1e-3) : pow(0.01 / d, 1.0 / 5)
            h[row] = min(100 * h0[p], h1, span)
        }
    }

    /// One Dormand–Prince attempt for every running row, upwards in s, clipped to land on
    /// log σ_max; accepted or rejected per row.
    private mutating func attempt() throws {
        let rows = running
        let step = rows.map { min(h[$0], sEnd - s[$0]) }
        let landing = rows.indices.map { step[$0] >= sEnd - s[rows[$0]] }
        let sNew = rows.indices.map { landing[$0] ? sEnd : s[rows[$0]] + step[$0] }
        let x0 = x.gatherRows(rows)
        var k = [slope.gatherRows(rows)], kEll = [rows.map { ellSlope[$0] }]
        var y = x0
        for j in 1..<7 {
            var terms: [(RowCoefficients, Tensor)] = [(1, x0)]
            for (l, a) in DormandPrince.a[j].enumerated() where a != 0 { terms.append((.perRow(step.map { $0 * a }), k[l])) }
            y = Tensor.combination(terms)
            let c = DormandPrince.c[j]
            let sigma = rows.indices.map { p in c == 1 ? exp(sNew[p]) : exp(s[rows[p]] + c * step[p]) }
            let (d, trace) = try evaluate(rows, y, sigma: sigma, products: true)
            k.append(y - d)
            kEll.append(trace.map { Double(dimension) - $0 })
        }
        let errorX = Tensor.combination(DormandPrince.e.enumerated().filter { $0.element != 0 }.map { l, e in
            (.perRow(step.map { $0 * e }), k[l])
        })
        let scaled = scaledRMS(errorX, x0, y, rtol: settings.rtol, atol: settings.atol)
        var accepted: [Int] = []
        for (p, row) in rows.enumerated() {
            let ellNew = ell[row] + step[p] * DormandPrince.a[6].enumerated().reduce(0) { $0 + $1.element * kEll[$1.offset][p] }
            let ellError = step[p] * (0..<7).reduce(0) { $0 + DormandPrince.e[$1] * kEll[$1][p] }
            let error = max(scaled[p], abs(ellError) / (settings.atol + settings.rtol * max(abs(ell[row]), abs(ellNew))))
            attempts[row] += 1
            try advance(row, p: p, error: error, step: step[p], sNew: sNew[p], ellNew: ellNew, lastEll: kEll[6][p], accepted: &accepted)
        }
        x.scatterRows(accepted.map { rows[$0] }, from: y.gatherRows(accepted))
        slope.scatterRows(accepted.map { rows[$0] }, from: k[6].gatherRows(accepted))
        running = rows.indices.filter { !(landing[$0] && accepted.contains($0)) }.map { rows[$0] }
    }

    /// The step-size controller of `RK45` for one row, after an attempt with scaled `error`.
    private mutating func advance(_ row: Int, p: Int, error: Double, step: Double, sNew: Double, ellNew: Double, lastEll: Double,
                                  accepted: inout [Int]) throws {
        guard error.isFinite else { throw LikelihoodError.nonFinite(row: row, sigma: exp(s[row])) }
        let factor = error == 0 ? DormandPrince.maxFactor : DormandPrince.safety * pow(error, -1.0 / 5)
        if error < 1 {
            h[row] = step * min(rejected[row] ? 1 : DormandPrince.maxFactor, factor)
            (rejected[row], s[row], ell[row], ellSlope[row]) = (false, sNew, ellNew, lastEll)
            accepted.append(p)
        } else {
            h[row] = step * max(DormandPrince.minFactor, factor)
            rejected[row] = true
            guard h[row] > 10 * max(abs(s[row]), 1).ulp, attempts[row] < Likelihood.maxAttempts else {
                throw LikelihoodError.stalled(row: row, sigma: exp(s[row]))
            }
        }
    }

    /// The finished rows' log-likelihoods and counts.
    func result() -> LikelihoodResult {
        let sigmaMax = settings.sigmaMax!, d = Double(dimension)
        let prior = x.rowSquaredNorms().map { -0.5 * d * log(2 * .pi * sigmaMax * sigmaMax) - $0 / (2 * sigmaMax * sigmaMax) }
        return LikelihoodResult(logLikelihood: zip(prior, ell).map(+), priorLogDensity: prior, divergenceIntegral: ell,
                                nfe: nfe, vectorJacobianProducts: products, attempts: attempts, dimension: dimension)
    }
}
