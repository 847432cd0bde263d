import Foundation
import ScoreKitCore

/// The σ's of one configured schedule: those `sample` visits, and the same kind laid over any
/// other range (for `integrate`). Made by `NoiseSchedule.levels(steps:modelRange:)`.
struct NoiseLevels: Sendable {
    /// The σ's `sample` visits, descending, all > 0 (its final step to 0 is the sampler's).
    let sampleSigmas: [Double]
    /// Lays the same kind of schedule over a range.
    private let rule: any NoiseLevelRule

    /// The schedule of one rule.
    init(rule: any NoiseLevelRule) {
        self.rule = rule
        sampleSigmas = rule.sampleSigmas
    }

    /// The levels row by row: `points` σ's from `hi` down to `lo` (hi > lo > 0), with the
    /// first exactly `hi` and the last exactly `lo`.
    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        precondition(points >= 2 && hi > lo && lo > 0, "NoiseLevels: need 2+ points and hi > lo > 0")
        var out = rule.sigmas(count: points, from: hi, to: lo)
        out[0] = hi
        out[points - 1] = lo
        return out
    }
}

extension NoiseSchedule {
    /// The levels for `steps` σ's (a custom list: its own), the σ range resolved against `modelRange`.
    func levels(steps: Int, modelRange: ClosedRange<Double>) -> NoiseLevels {
        NoiseLevels(rule: rule(steps: steps, modelRange: modelRange))
    }
}

/// One kind of σ schedule with its parameters and step count.
protocol NoiseLevelRule: Sendable {
    /// The σ's `sample` visits.
    var sampleSigmas: [Double] { get }
    /// `points` σ's from `hi` down to `lo`.
    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double]
}

/// Karras et al.'s schedule: uniform in σ^{1/ρ}.
struct KarrasRule: NoiseLevelRule {
    let sampleSigmas: [Double]
    let rho: Double

    init(steps: Int, range: ClosedRange<Double>, rho: Double) {
        self.rho = rho
        sampleSigmas = SigmaSchedule.karras(count: steps, sigmaMin: range.lowerBound, sigmaMax: range.upperBound, rho: rho)
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        SigmaSchedule.karras(count: points, sigmaMin: lo, sigmaMax: hi, rho: rho)
    }
}

/// The VE geometric schedule: uniform in log σ.
struct GeometricRule: NoiseLevelRule {
    let sampleSigmas: [Double]

    init(steps: Int, range: ClosedRange<Double>) {
        sampleSigmas = SigmaSchedule.geometric(count: steps, sigmaMin: range.lowerBound, sigmaMax: range.upperBound)
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        SigmaSchedule.geometric(count: points, sigmaMin: lo, sigmaMax: hi, epsilon: 0)
    }
}

/// k-diffusion's polyexponential schedule: `log σ` from `log σ_max` to `log σ_min` along the ramp
/// t^ρ, t uniform from 1 to 0 (ρ = 1: the exponential schedule, uniform in log σ).
struct PolyExponentialRule: NoiseLevelRule {
    let sampleSigmas: [Double]
    let rho: Double

    init(steps: Int, range: ClosedRange<Double>, rho: Double) {
        self.rho = rho
        sampleSigmas = SigmaSchedule.polyExponential(count: steps, sigmaMin: range.lowerBound, sigmaMax: range.upperBound, rho: rho)
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        SigmaSchedule.polyExponential(count: points, sigmaMin: lo, sigmaMax: hi, rho: rho)
    }
}

/// The continuous VP process's σ(t) at times uniform in t (score_sde's VP grid, ε = 1e-3).
struct VPTimeRule: NoiseLevelRule {
    static let process = VariancePreservingProcess()
    static let epsilon = 1e-3
    let sampleSigmas: [Double]

    init(steps: Int) {
        sampleSigmas = SigmaSchedule.timeUniform(count: steps, from: 1, to: Self.epsilon).map(Self.process.sigma(at:))
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        let p = Self.process
        return SigmaSchedule.timeUniform(count: points, from: p.time(atSigma: hi), to: p.time(atSigma: lo)).map(p.sigma(at:))
    }
}

/// The DDPM table's σ at a spacing's timesteps; over another range, the spacing's pattern
/// stretched over fractional timesteps.
struct DiscreteRule: NoiseLevelRule {
    let table: DiscreteSigmaTable
    /// The spacing's timesteps, descending.
    let timesteps: [Int]
    var sampleSigmas: [Double] { timesteps.map { table.sigma(atTime: Double($0)) } }

    init(table: DiscreteSigmaTable, timesteps: [Int]) {
        self.table = table
        self.timesteps = timesteps
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        let tHi = table.time(atSigma: hi), tLo = table.time(atSigma: lo)
        return pattern(points).map { u in table.sigma(atTime: tLo + u * (tHi - tLo)) }
    }

    /// Where the spacing puts `points` steps, as fractions of the range: 1 first, 0 last.
    /// Linear when the spacing has fewer timesteps than that.
    private func pattern(_ points: Int) -> [Double] {
        let first = Double(timesteps[0]), last = Double(timesteps[timesteps.count - 1])
        guard timesteps.count == points, first > last else {
            return SigmaSchedule.timeUniform(count: points, from: 1, to: 0)
        }
        return timesteps.map { (Double($0) - last) / (first - last) }
    }
}

/// A given list of σ's; over another range, its pattern in log σ stretched over that range.
struct PatternRule: NoiseLevelRule {
    let sampleSigmas: [Double]

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        let first = log(sampleSigmas[0]), last = log(sampleSigmas[sampleSigmas.count - 1])
        guard sampleSigmas.count == points, first > last else {
            return SigmaSchedule.geometric(count: points, sigmaMin: lo, sigmaMax: hi, epsilon: 0)
        }
        return sampleSigmas.map { s in exp(log(lo) + (log(s) - last) / (first - last) * (log(hi) - log(lo))) }
    }
}

/// The σ of a discrete VP table as a function of a fractional timestep: linear in log σ
/// between entries (as for discrete-timestep networks), extended past both ends along the end
/// segments so that every σ > 0 has a timestep and back.
struct DiscreteSigmaTable: Sendable {
    /// `log σ_t`, t = 0 … T−1, ascending.
    let logSigmas: [Double]

    init(_ schedule: DiscreteVPSchedule) {
        logSigmas = schedule.sigmas.map { log($0) }
    }

    /// σ at fractional timestep t.
    func sigma(atTime t: Double) -> Double {
        let lo = min(max(Int(t.rounded(.down)), 0), logSigmas.count - 2)
        let w = t - Double(lo)
        return exp(logSigmas[lo] + w * (logSigmas[lo + 1] - logSigmas[lo]))
    }

    /// The fractional timestep of σ (the inverse of `sigma(atTime:)`).
    func time(atSigma sigma: Double) -> Double {
        let l = log(sigma)
        var lo = 0, hi = logSigmas.count - 1      // the segment [lo, lo+1] holding l, or an end one
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if logSigmas[mid] <= l { lo = mid } else { hi = mid }
        }
        return Double(lo) + (l - logSigmas[lo]) / (logSigmas[lo + 1] - logSigmas[lo])
    }
}
