import ScoreKitCore

/// The rows an integrator is stepping, each along its own σ schedule (all of one length).
///
/// `sample` puts every row on the sampler's schedule; `integrate` lays the schedule over each
/// row's own range `[σ_end, σ_r]`. The stepping code reads the σ's of step i as a column.
struct RowSchedules {
    /// The batch rows being stepped, in order (for NFE counting and noise); nil when all rows.
    let rows: [Int]?
    /// Each stepped row's σ's, descending.
    let sigmas: [[Double]]

    /// The number of points on each schedule (steps + 1).
    var points: Int { sigmas.first?.count ?? 0 }

    /// The σ of every stepped row at point i.
    func column(_ i: Int) -> [Double] { sigmas.map { $0[i] } }

    /// The batch row of stepped row k.
    func batchRow(_ k: Int) -> Int { rows?[k] ?? k }

    /// Every one of `count` rows on the same schedule.
    static func shared(_ sigmas: [Double], rows count: Int) -> RowSchedules {
        RowSchedules(rows: nil, sigmas: Array(repeating: sigmas, count: count))
    }
}
