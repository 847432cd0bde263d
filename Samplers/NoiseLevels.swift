import Foundation
import ScoreKitCore

/// The σ schedules of the samplers that step directly in σ (Euler, Heun, DPM-Solver++), chosen
/// with the `schedule` key. All in Float64.
///
/// | `schedule` | σ's `sample` visits (N = steps) | reads |
/// |---|---|---|
/// | `karras` | `(σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ` (Karras et al. 2022, eq. 5) | sigma_min, sigma_max, rho |
/// | `ve` | `σ_min·(σ_max/σ_min)^t`, t uniform from 1 to 1e-5 (score_sde's VE grid) | sigma_min, sigma_max |
/// | `vp` | continuous VP (β 0.1…20): `σ(t) = √(1/ᾱ(t) − 1)`, t uniform from 1 to 1e-3 | — |
/// | `discrete` | `σ_t = √((1−ᾱ_t)/ᾱ_t)` of the DDPM table at the `spacing`'s timesteps | spacing, betas, T |
///
/// `sample` starts from the first level (the prior `σ_0·z`) and ends with the sampler's own
/// step to σ = 0. `integrate` lays the same kind over each row's own range `[σ_end, σ_r]`:
/// karras with σ_min = σ_end and σ_max = σ_r; ve geometric between them; vp uniform in VP time
/// between `t(σ_r)` and `t(σ_end)`; discrete the spacing's pattern of timesteps stretched over
/// the fractional timesteps of σ_r and σ_end (log-σ interpolation of the table).
struct NoiseLevels: Sendable {
    /// The σ's `sample` visits, descending, all > 0 (its final step to 0 is the sampler's).
    let sampleSigmas: [Double]
    /// Lays the same kind of schedule over a range.
    private let rule: any NoiseLevelRule

    /// The schedule the options describe (keys of `ScheduleKeys.all`) for `steps` levels.
    init(_ options: SamplerOptions, steps: Int, sampler: String) throws {
        let kind = options["schedule"]
        guard let make = Self.kinds[kind] else { preconditionFailure("unknown schedule \(kind)") }
        self.init(rule: try make(options, steps, sampler))
    }

    /// The schedule of one rule.
    init(rule: any NoiseLevelRule) {
        self.rule = rule
        sampleSigmas = rule.sampleSigmas
    }

    /// The schedule kinds by name.
    static let kinds: [String: @Sendable (SamplerOptions, Int, String) throws -> any NoiseLevelRule] = [
        "karras": { o, n, s in try KarrasRule(steps: n, range: sigmaRange(o, sampler: s), rho: o.double("rho")) },
        "ve": { o, n, s in try GeometricRule(steps: n, range: sigmaRange(o, sampler: s)) },
        "vp": { _, n, _ in VPTimeRule(steps: n) },
        "discrete": { o, n, s in try DiscreteRule(steps: n, options: o, sampler: s) },
    ]

    /// The levels row by row: `points` σ's from `hi` down to `lo` (hi > lo > 0), with the
    /// first exactly `hi` and the last exactly `lo`.
    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        precondition(points >= 2 && hi > lo && lo > 0, "NoiseLevels: need 2+ points and hi > lo > 0")
        var out = rule.sigmas(count: points, from: hi, to: lo)
        out[0] = hi
        out[points - 1] = lo
        return out
    }

    private static func sigmaRange(_ options: SamplerOptions, sampler: String) throws -> ClosedRange<Double> {
        let lo = options.double("sigma_min"), hi = options.double("sigma_max")
        guard lo < hi else {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "sigma_min=\(canonicalNumber(lo)) must be below sigma_max=\(canonicalNumber(hi))")
        }
        return lo...hi
    }
}

/// The keys that choose a σ schedule.
enum ScheduleKeys {
    static let schedule = SamplerKey("schedule", .choice(["karras", "ve", "vp", "discrete"]), default: "karras",
                                     help: "σ schedule: karras (EDM), ve (geometric), vp (continuous VP time), discrete (DDPM table)")
    static let sigmaMin = SamplerKey("sigma_min", .real(1e-6...1e6), default: "0.002", help: "smallest σ > 0 (karras, ve)")
    static let sigmaMax = SamplerKey("sigma_max", .real(1e-6...1e6), default: "80", help: "largest σ, the prior's (karras, ve)")
    static let rho = SamplerKey("rho", .real(0.01...100), default: "7", help: "karras: ρ, how the steps crowd towards sigma_min")
    static let spacing = SamplerKey("spacing", .choice(TimestepSpacing.allCases.map(\.rawValue)), default: "linspace",
                                    help: "discrete: how the timesteps are picked from the T of the table")

    /// Every schedule key, in spec order.
    static let all = [schedule, sigmaMin, sigmaMax, rho, spacing, DiscreteVPKeys.betas, DiscreteVPKeys.trainSteps]
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

    init(steps: Int, range: ClosedRange<Double>, rho: Double) throws {
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

    init(steps: Int, range: ClosedRange<Double>) throws {
        sampleSigmas = SigmaSchedule.geometric(count: steps, sigmaMin: range.lowerBound, sigmaMax: range.upperBound)
    }

    func sigmas(count points: Int, from hi: Double, to lo: Double) -> [Double] {
        SigmaSchedule.geometric(count: points, sigmaMin: lo, sigmaMax: hi, epsilon: 0)
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

    init(steps: Int, options: SamplerOptions, sampler: String) throws {
        let schedule = DiscreteVPSchedule(betas: options.choice("betas"), trainSteps: options.int("T"))
        guard steps <= schedule.trainSteps else {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "schedule=discrete: steps=\(steps) exceeds T=\(schedule.trainSteps)")
        }
        let spacing: TimestepSpacing = options.choice("spacing")
        self.init(table: DiscreteSigmaTable(schedule), timesteps: spacing.timesteps(steps: steps, trainSteps: schedule.trainSteps))
    }

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
