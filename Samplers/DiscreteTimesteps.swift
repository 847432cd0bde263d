import ScoreKitCore

/// The discrete VP (DDPM) timesteps a sampler visits: the β schedule, the number of training
/// timesteps T, and either a spacing that picks `steps` of them or your own list.
public struct DiscreteTimesteps: Sendable, Hashable {
    /// The β schedule (`betas` key).
    public var betas: DiscreteVPSchedule.Betas
    /// T, the training timesteps (`T` key).
    public var trainSteps: Int
    /// How `steps` timesteps are picked from the T (`spacing` key); unused with `custom`.
    public var spacing: TimestepSpacing
    /// Your own timesteps, strictly decreasing, each in 0..<T (`timesteps` key); empty to use
    /// the spacing.
    public var custom: [Int]

    /// Timesteps of a table; see the properties.
    public init(betas: DiscreteVPSchedule.Betas = .linear, trainSteps: Int = 1000, spacing: TimestepSpacing = .leading,
                custom: [Int] = []) {
        self.betas = betas
        self.trainSteps = trainSteps
        self.spacing = spacing
        self.custom = custom
    }

    /// The noise schedule.
    public var schedule: DiscreteVPSchedule { DiscreteVPSchedule(betas: betas, trainSteps: trainSteps) }

    /// The descending timesteps for `steps` steps (the custom list when given).
    public func timesteps(steps: Int) -> [Int] {
        custom.isEmpty ? spacing.timesteps(steps: steps, trainSteps: trainSteps) : custom
    }

    /// The number of steps visited for `steps` (custom: its own length).
    public func count(steps: Int) -> Int { custom.isEmpty ? steps : custom.count }

    /// Throws unless `steps` fits T and a custom list is strictly decreasing within 0..<T.
    func validate(steps: Int, sampler: String) throws {
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

    /// The spec keys, declared once for DDPM, DDIM and the discrete σ schedule.
    static let options: [SamplerOption<DiscreteTimesteps>] = [
        .choice("spacing", \.spacing, help: "how the steps are picked from the T timesteps (leading = diffusers' DDPM/DDIM default; linspace-no-zero = its multistep solvers')",
                when: { $0.custom.isEmpty }),
        .choice("betas", \.betas, help: "β schedule: linear 1e-4…0.02 (DDPM) or cosine (improved DDPM)"),
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

private struct NotAnInteger: Error {}

private func exactInteger(_ v: Double) throws -> Int {
    guard v.isFinite, v == v.rounded(), abs(v) < 1e9 else { throw NotAnInteger() }
    return Int(v)
}
