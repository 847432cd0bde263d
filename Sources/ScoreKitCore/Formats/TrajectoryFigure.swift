import Foundation

/// Pictures of states along a trajectory (or a noising process): 2-D points as scatter plots
/// on fixed axes, images as a column of small pictures. `strip` lays several states side by
/// side, titled with step and σ; `animation` makes one picture per state for `AnimatedPNG`.
///
/// States are shown in the **scaled view** `x/√(1+σ²)` by default: the variance-preserving
/// state `√ᾱ·x0 + √(1−ᾱ)·n` with `ᾱ = 1/(1+σ²)`, which keeps noise and data on the same axes
/// (a VE state at σ = 80 would leave the data's axes entirely); `.raw` shows `x` as it is.
public struct TrajectoryFigure: Sendable {
    /// How a state is drawn.
    public enum Kind: Sendable, Equatable {
        /// A scatter plot of the first two coordinates, every panel on these axes.
        case scatter(bounds: ClosedRange<Double>)
        /// Grey-scale images (`[N, 1, H, W]` or `[N, H, W]`), values from the range shown
        /// black to white, stacked in a column.
        case images(range: ClosedRange<Float>)
    }

    /// How states relate to the picture's coordinates.
    public enum View: String, Sendable, CaseIterable {
        /// `x/√(1+σ²)` (the VP state).
        case scaled
        /// `x` as it is.
        case raw
    }

    /// What the panels show.
    public var kind: Kind
    /// How states are drawn.
    public var view: View
    /// Side of a scatter panel in pixels.
    public var panelSize: Int
    /// Pixels per image pixel.
    public var zoom: Int

    /// A figure maker; see the properties.
    public init(kind: Kind, view: View = .scaled, panelSize: Int = 200, zoom: Int = 5) {
        self.kind = kind
        self.view = view
        self.panelSize = panelSize
        self.zoom = zoom
    }

    /// The kind for samples of `sampleShape`: images for `[C, H, W]` or `[H, W]` (values −1…1),
    /// a scatter on the view of `reference` (else of `fallback`) for 2-D points; nil for other shapes.
    public static func kind(sampleShape: [Int], reference: Tensor?, fallback: Tensor? = nil) -> Kind? {
        if sampleShape.count >= 2 { return .images(range: -1...1) }
        guard sampleShape == [2], let points = reference ?? fallback else { return nil }
        return .scatter(bounds: SamplePlot.scatterBounds(points.reshaped([points.rows, 2])))
    }

    /// `x` as the view shows it at noise level `sigma`.
    public func shown(_ x: Tensor, sigma: Double) -> Tensor {
        guard view == .scaled, sigma > 0 else { return x }
        return (1 / (1 + sigma * sigma).squareRoot()) * x
    }

    /// One panel: the rows of `x` (and, when given, each row of `beneath` under its own row
    /// for images, or as the same scatter for points).
    public func panel(_ x: Tensor) -> RGBImage {
        switch kind {
        case .scatter(let bounds):
            return SamplePlot.scatter(x.reshaped([x.rows, x.rowSize]), size: panelSize, bounds: bounds)
        case .images(let range):
            return SamplePlot.grid(x, columns: 1, range: range, zoom: zoom)
        }
    }

    /// A panel of images with row i of `under` beneath row i of `x`.
    func interleaved(_ x: Tensor, _ under: Tensor) -> RGBImage {
        var rows: [Float] = []
        for i in 0..<x.rows { rows += Array(x.row(i)) + Array(under.row(i)) }
        return panel(Tensor(shape: [2 * x.rows] + x.rowShape, scalars: rows))
    }

    /// The title of a state: `step S σ=…` (σ to three significant digits).
    public static func title(step: Int, sigma: Double) -> String {
        "step \(step) σ=" + String(format: "%.3g", sigma)
    }

    /// The panels of recorded frames: a row of states, and with `denoised` the estimates of the
    /// clean data (a second row for points, a row beneath each sample for images).
    /// `titles` replaces the default `step S σ=…` titles.
    public func rows(_ frames: [TrajectoryCapture.Frame], denoised: Bool, titles: [String]? = nil) -> [[FigureGrid.Panel]] {
        let titles = titles ?? frames.map { Self.title(step: $0.state, sigma: $0.sigma) }
        let states = frames.map { shown($0.x, sigma: $0.sigma) }
        guard denoised else { return [zip(states, titles).map { FigureGrid.Panel(panel($0), title: $1) }] }
        switch kind {
        case .scatter:
            return [zip(states, titles).map { FigureGrid.Panel(panel($0), title: $1) },
                    frames.map { FigureGrid.Panel($0.denoised.map(panel), title: "denoised") }]
        case .images:
            return [zip(frames, zip(states, titles)).map { frame, st in
                FigureGrid.Panel(frame.denoised.map { interleaved(st.0, $0) } ?? interleaved(st.0, 0 * st.0), title: st.1)
            }]
        }
    }

    /// A strip: the frames side by side (`rows`), labelled when denoised rows are added.
    public func strip(_ frames: [TrajectoryCapture.Frame], denoised: Bool, caption: String? = nil,
                      titles: [String]? = nil) -> FigureGrid {
        let labels = denoised && !isImages ? ["x", "D(x)"] : []
        return FigureGrid(rows: rows(frames, denoised: denoised, titles: titles), rowLabels: labels, caption: caption,
                          textScale: isImages ? 1 : 2)
    }

    /// One picture per frame, all the same size, for `AnimatedPNG`.
    public func animation(_ frames: [TrajectoryCapture.Frame], denoised: Bool, caption: String? = nil,
                          titles: [String]? = nil) -> [RGBImage] {
        Self.animation(of: strip(frames, denoised: denoised, caption: caption, titles: titles))
    }

    /// The columns of a grid as separate pictures of one size (one animation frame each).
    public static func animation(of grid: FigureGrid) -> [RGBImage] {
        let columns = grid.rows.map(\.count).max() ?? 0
        return (0..<columns).map { c in
            var frame = grid
            frame.rows = grid.rows.map { c < $0.count ? [$0[c]] : [FigureGrid.Panel(nil, title: "")] }
            frame.minimumCellWidth = grid.cellWidth
            return frame.image()
        }
    }

    private var isImages: Bool { if case .images = kind { true } else { false } }
}
