import Foundation
import ScoreKitCore

/// What the multistep exponential solvers (`dpm-solver++`, `unipc`, `deis`) share beyond their
/// σ schedules (`ScheduledSampler`): the order each step may use, the history of earlier model values, and the small
/// linear solves UniPC needs. All coefficients in Float64, per row.
enum Multistep {
    /// The steps the order rules count: a run that ends at σ = 0 counts its own steps; an
    /// integration, which ends above 0 and leaves the step to 0 to its caller (DLG's Tweedie
    /// step), counts that step too — so `sample` is an integration to σ_{N−1} plus `x ← D`,
    /// step for step.
    static func countedSteps(_ schedules: RowSchedules) -> Int {
        let last = schedules.points - 1
        return schedules.column(last).allSatisfy { $0 == 0 } ? last : last + 1
    }

    /// The order of step `i` of `n` for a solver of order `order`, diffusers' DPM-Solver and
    /// DEIS rule: warm-up `min(order, i + 1)`; a step to σ = 0 is first order; below 15 steps
    /// (`lower_order_final`) the last step is first order and the one before at most second.
    static func lowerOrderFinal(_ order: Int, step i: Int, of n: Int, toZero: Bool) -> Int {
        if toZero || (n < 15 && i == n - 1) { return 1 }
        let p = min(order, i + 1)
        return n < 15 && i == n - 2 ? min(p, 2) : p
    }

    /// diffusers' UniPC rule: `min(order, n − i, i + 1)` — the last steps lower their order
    /// whatever the step count.
    static func uniPCOrder(_ order: Int, step i: Int, of n: Int) -> Int { min(order, n - i, i + 1) }

    /// `1 − e^{−h}`.
    static func phi1(_ h: Double) -> Double { -expm1(-h) }
    /// `φ₂(h) = 1 − (1 − e^{−h})/h`.
    static func phi2(_ h: Double) -> Double { 1 + expm1(-h) / h }
    /// `φ₃(h) = (e^{−h} − 1 + h)/h² − ½`.
    static func phi3(_ h: Double) -> Double { (expm1(-h) + h) / (h * h) - 0.5 }

    /// Solves the n×n system `a·v = b` (n ≤ 3) by elimination with partial pivoting.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a, v = b
        let n = b.count
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, p)
            v.swapAt(c, p)
            for r in (c + 1)..<n {
                let f = m[r][c] / m[c][c]
                for k in c..<n { m[r][k] -= f * m[c][k] }
                v[r] -= f * v[c]
            }
        }
        var out = Array(repeating: 0.0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            let tail = ((r + 1)..<n).reduce(0.0) { $0 + m[r][$1] * out[$1] }
            out[r] = (v[r] - tail) / m[r][r]
        }
        return out
    }
}

/// The model values of a multistep run, newest first, each with every row's σ where it was
/// taken; at most `capacity` are kept.
struct MultistepHistory {
    /// One value: a tensor (D or ε) and the σ of each row.
    struct Entry {
        let value: Tensor
        let sigma: [Double]
    }

    let capacity: Int
    private(set) var entries: [Entry] = []

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }
    subscript(k: Int) -> Entry { entries[k] }

    /// Adds the newest value, dropping the oldest beyond `capacity`.
    mutating func push(_ value: Tensor, sigma: [Double]) {
        entries.insert(Entry(value: value, sigma: sigma), at: 0)
        if entries.count > capacity { entries.removeLast() }
    }

    /// `λ = −log σ` of entry k for row r.
    func lambda(_ k: Int, row r: Int) -> Double { -log(entries[k].sigma[r]) }

    /// `Σ_k c[k]·entry k` plus `extra`, with per-row coefficients `c[k][r]`.
    func combination(_ c: [[Double]], plus extra: [(RowCoefficients, Tensor)] = []) -> Tensor {
        Tensor.combination(extra + c.indices.map { (.perRow(c[$0]), entries[$0].value) })
    }
}
