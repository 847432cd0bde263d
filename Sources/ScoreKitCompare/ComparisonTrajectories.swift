import Foundation
import ScoreKitCore
import ScoreKitModels

/// The side-by-side trajectory figures of a comparison: for each budget, one picture with a
/// row per sampler, every row carrying the same initial noise (the first samples of the run)
/// through `frames` states, first and last included. 2-D models show `points` points per
/// panel on the reference data's axes; image models the first `images` samples. States are in
/// the scaled view `x/√(1+σ²)` (see `TrajectoryFigure`).
struct ComparisonTrajectories {
    let comparison: Comparison
    /// The task's denoiser and labels (the figures of a conditional comparison are conditional).
    let task: TaskSetup
    /// States per row.
    let frames: Int
    /// The panels' kind (scatter axes or image range).
    let kind: TrajectoryFigure.Kind

    /// Points per 2-D panel and samples per image panel: enough to see the shape, few enough
    /// that the figures add seconds, not minutes, to a comparison.
    static let points = 300, images = 4

    /// The file of a budget's figure, in the output folder.
    static func fileName(budget: Int) -> String { "trajectories-nfe\(budget).png" }

    /// Writes every budget's figure into `folder`; returns the file names in budget order.
    func write(to folder: URL) throws -> [String] {
        try comparison.plan.budgets.map { budget in
            let name = Self.fileName(budget: budget)
            try AtomicFile.write(try figure(budget: budget).image().pngData(compressed: true),
                                 to: folder.appendingPathComponent(name))
            return name
        }
    }

    /// The figure of one budget: a row per sampler (grey cells where it cannot run).
    func figure(budget: Int) throws -> FigureGrid {
        let plan = comparison.plan, model = comparison.model
        let isImages: Bool = { if case .images = kind { true } else { false } }()
        let rows = min(plan.count, isImages ? Self.images : Self.points)
        let drawer = TrajectoryFigure(kind: kind, panelSize: 120, zoom: 4)
        var panels: [[FigureGrid.Panel]] = [], labels: [String] = []
        for row in comparison.rows {
            let label = row.label.count <= 28 ? row.label : row.sampler.name
            do {
                let fitted = try row.sampler.fitted(toNFE: budget).resolved(for: model.denoiser)
                let capture = TrajectoryCapture(sampler: fitted, model: task.denoiser, seed: plan.seed, budget: budget,
                                                noiseLevelEstimator: model.noiseLevelEstimator, labels: task.labels)
                let recorded = try capture.record(indices: Array(0..<rows), frames: frames)
                panels += drawer.rows(recorded, denoised: false)
                labels.append(label)
            } catch let error where !(error is CancellationError) {
                panels.append([FigureGrid.Panel(nil, title: "n/a at \(budget) NFE")])
                labels.append(label)
            }
        }
        let caption = "\(plan.model), \(budget) NFE: samples 0-\(rows - 1) of seed \(plan.seed) under each sampler; x/√(1+σ²)"
        return FigureGrid(rows: panels, rowLabels: labels, caption: caption, textScale: 1)
    }
}
