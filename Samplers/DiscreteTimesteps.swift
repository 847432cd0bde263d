import ScoreKitCore

/// The discrete VP (DDPM) timesteps a sampler visits: the β schedule, the number of training
/// timesteps T, and either a spacing that picks `steps` of them or your own list.
public struct DiscreteTimesteps: Sendable, Hashable {
    /// The β schedule (`betas` key).
    public var betas: DiscreteVPSchedule.Betas
    /// β at the first timestep, linear and sigmoid only (`beta_start` key; default 1e-4).
    public var betaStart: Double
    /// β at the last timestep, linear and sigmoid only (`beta_end` key; default 0.02).
    public var betaEnd: Double
    /// T, the training timesteps (`T` key).
    public var trainSteps: Int
    /// How `steps` timesteps are picked from the T (`spacing` key); unused with `custom`.
    public var spacing: TimestepSpacing
    /// Your own timesteps, strictly decreasing, each in 0..<T (`timesteps` key); empty to use
    /// the spacing.
    public var custom: [Int]

    /// Timesteps of a table; see the properties.
    public init(betas: DiscreteVPSchedule.Betas = .linear, trainSteps: Int = 1000, spacing: TimestepSpacing = .leading,
                custom: [Int] = [], betaStart: Double = DiscreteVPSchedule.defaultRange.start,
                betaEnd: Double = DiscreteVPSchedule.defaultRange.end) {
        self.betas = betas
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.trainSteps = trainSteps
        self.spacing = spacing
        self.custom = custom
    }

    /// The noise schedule.
    public var schedule: DiscreteVPSchedule {
        DiscreteVPSchedule(betas: betas, trainSteps: trainSteps, betaStart: betaStart, betaEnd: betaEnd)
    }

    /// Whether β_start/β_end are DDPM's 1e-4/0.02.
    public var hasDefaultBetaRange: Bool {
        (betaStart, betaEnd) == DiscreteVPSchedule.defaultRange
    }

    /// Whether a spec shows `beta_start`/`beta_end`: always with sigmoid, with linear when they
    /// differ from DDPM's 1e-4…0.02 (so the specs of plain DDPM tables read as they always
    /// have), never with cosine, which has no such range.
    var showsBetaRange: Bool {
        betas == .sigmoid || (betas == .linear && !hasDefaultBetaRange)
    }

    /// The descending timesteps for `steps` steps (the custom list when given).
    public func timesteps(steps: Int) -> [Int] {
        custom.isEmpty ? spacing.timesteps(steps: steps, trainSteps: trainSteps) : custom
    }

    /// The number of steps visited for `steps` (custom: its own length).
    public func count(steps: Int) -> Int { custom.isEmpty ? steps : custom.count }

    /// Throws unless `steps` fits T, a custom list is strictly decreasing within 0..<T, and
    /// the β range fits the betas (`validateBetas`).
    func validate(steps: Int, sampler: String) throws {
        try validateBetas(sampler: sampler)
        if custom.isEmpty, steps > trainSteps {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "steps=\(steps) exceeds T=\(trainSteps)")
        }
        if let i = custom.firstIndex(where: { !(0..<trainSteps).contains($0) }) {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "timesteps: entry \(i) (\(custom[i])) is outside 0…\(trainSteps - 1)")
        }
        if let i = custom.indices.dropFirst().first(where: { custom[$0] >= custom[$0 - 1] }) {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "timesteps must be strictly decreasing; entry \(i) (\(custom[i])) is not below entry \(i - 1) (\(custom[i - 1]))")
        }
    }

    /// Throws unless β_start < β_end where the betas take them (linear, sigmoid), and unless
    /// they are left at their defaults where they do not (cosine).
    func validateBetas(sampler: String) throws {
        if betas.hasRange, !(betaStart < betaEnd) {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "beta_start=\(canonicalNumber(betaStart)) must be below beta_end=\(canonicalNumber(betaEnd)) (0 < beta_start < beta_end < 1)")
        }
        if !betas.hasRange, !hasDefaultBetaRange {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "betas=\(betas.rawValue) takes no beta_start/beta_end (linear and sigmoid do)")
        }
    }

    /// The spec keys, declared once for DDPM, DDIM and the discrete σ schedule.
    static let options: [SamplerOption<DiscreteTimesteps>] = [
        .choice("spacing", \.spacing, help: "how the steps are picked from the T timesteps (leading = diffusers' DDPM/DDIM default; linspace-no-zero = its multistep solvers')",
                when: { $0.custom.isEmpty }),
        .choice("betas", \.betas, help: "β schedule: linear (DDPM), cosine (improved DDPM) or sigmoid (GeoDiff, the 2-D DDPM tutorials)"),
        beta("beta_start", \.betaStart, help: "linear, sigmoid: β at the first timestep (a linear spec shows it when it is not 1e-4)"),
        beta("beta_end", \.betaEnd, help: "linear, sigmoid: β at the last timestep, above beta_start (a linear spec shows it when it is not 0.02)"),
        .integer("T", \.trainSteps, in: 2...100_000, help: "training timesteps T"),
        SamplerOption(key: "timesteps", values: "timesteps, descending (a/b/c or @FILE)",
                      help: "your own timesteps, descending, each in 0…T−1 (replaces steps and spacing)",
                      text: { NumberList.format($0.custom.map(Double.init)) }, applies: { !$0.custom.isEmpty },
                      write: { t, text, _ in
                          let values = try NumberList.parse(text)
                          guard let ints = try? values.map(exactInteger) else { throw InvalidOptionValue(expected: "whole-number timesteps") }
                          t.custom = ints
                      }),
    ]
}

extension DiscreteTimesteps {
    /// The open interval a β lies in.
    static let betaValues = "a number in (0, 1)"

    /// A β bound: a number strictly between 0 and 1, shown where `showsBetaRange`.
    static func beta(_ key: String, _ path: WritableKeyPath<DiscreteTimesteps, Double> & Sendable,
                     help: String) -> SamplerOption<DiscreteTimesteps> {
        SamplerOption(key: key, values: betaValues, help: help,
                      text: { canonicalNumber($0[keyPath: path]) }, applies: { $0.showsBetaRange },
                      write: { t, text, _ in
                          guard let v = Double(text), v > 0, v < 1 else { throw InvalidOptionValue(expected: betaValues) }
                          t[keyPath: path] = v
                      })
    }
}

private struct NotAnInteger: Error {}

private func exactInteger(_ v: Double) throws -> Int {
    guard v.isFinite, v == v.rounded(), abs(v) < 1e9 else { throw NotAnInteger() }
    return Int(v)
}
