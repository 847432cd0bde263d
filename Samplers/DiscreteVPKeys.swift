import ScoreKitCore

/// The keys shared by the samplers that walk the discrete VP (DDPM) timesteps.
enum DiscreteVPKeys {
    static func steps(default value: Int) -> SamplerKey {
        SamplerKey("steps", .integer(1...100_000), default: String(value),
                   help: "sampling steps, at most T (fewer than T respaces the chain)")
    }
    static let spacing = SamplerKey("spacing", .choice(TimestepSpacing.allCases.map(\.rawValue)), default: "leading",
                                    help: "how the steps are picked from the T timesteps (leading = diffusers' default)")
    static let betas = SamplerKey("betas", .choice(DiscreteVPSchedule.Betas.allCases.map(\.rawValue)), default: "linear",
                                  help: "β schedule: linear 1e-4…0.02 (DDPM) or cosine (improved DDPM)")
    static let trainSteps = SamplerKey("T", .integer(2...100_000), default: "1000", help: "training timesteps T")

    /// The schedule and the descending sampling timesteps the options describe.
    static func timesteps(_ options: SamplerOptions, sampler: String) throws -> (DiscreteVPSchedule, [Int]) {
        let schedule = DiscreteVPSchedule(betas: options.choice("betas"), trainSteps: options.int("T"))
        let steps = options.int("steps")
        guard steps <= schedule.trainSteps else {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "steps=\(steps) exceeds T=\(schedule.trainSteps)")
        }
        let spacing: TimestepSpacing = options.choice("spacing")
        return (schedule, spacing.timesteps(steps: steps, trainSteps: schedule.trainSteps))
    }

    /// `ᾱ` at step i and at the step after it (1 after the last, so the chain ends on clean data).
    static func alphaBars(_ schedule: DiscreteVPSchedule, _ timesteps: [Int], at i: Int) -> (Double, Double) {
        let next = i + 1 < timesteps.count ? schedule.alphasCumprod[timesteps[i + 1]] : 1
        return (schedule.alphasCumprod[timesteps[i]], next)
    }
}
