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

/// `integrate` for samplers that walk a schedule: the rows starting above `sigmaEnd` get
/// `schedule(σ_r, σ_end)` and are stepped by `body` (on those rows only); rows at or below
/// `sigmaEnd` are returned unchanged, with no denoiser calls.
func integrateRows(_ x: Tensor, from sigma: [Double], to sigmaEnd: Double,
                   schedule: (Double, Double) -> [Double],
                   body: (Tensor, RowSchedules) throws -> Tensor) throws -> Tensor {
    guard sigma.count == x.rows else {
        throw SamplingError.invalidInput("integrate: \(sigma.count) starting σ's for \(x.rows) rows")
    }
    guard sigmaEnd > 0, sigma.allSatisfy({ $0.isFinite }) else {
        throw SamplingError.invalidInput("integrate: σ_end must be > 0 and every starting σ finite (σ_end = \(sigmaEnd))")
    }
    let active = sigma.indices.filter { sigma[$0] > sigmaEnd }
    guard !active.isEmpty else { return x }
    let sigmas = active.map { schedule(sigma[$0], sigmaEnd) }
    if active.count == x.rows {
        return try body(x, RowSchedules(rows: nil, sigmas: sigmas))
    }
    var out = x
    out.scatterRows(active, from: try body(x.gatherRows(active), RowSchedules(rows: active, sigmas: sigmas)))
    return out
}
