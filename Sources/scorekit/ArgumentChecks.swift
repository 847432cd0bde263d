import Foundation
import ScoreKit

/// `--seed`: any whole number in 0…2⁶⁴−1 (the generator's key is 64 bits).
enum SeedArgument {
    /// The range `--seed` takes, as printed in messages.
    static let rangeText = "0…18446744073709551615 (2⁶⁴−1)"

    /// Parses a seed; a value outside the range is refused naming the range.
    static func parse(_ text: String) throws -> UInt64 {
        guard let seed = UInt64(text) else { throw CLIError("expected a whole number in \(rangeText)") }
        return seed
    }
}

/// The run-size flags the sampling commands share: `--count`, `--nfe` and `--batch` positive,
/// `--threads` at least 1 (nil: not given, or not taken by the command).
enum RunSizeArguments {
    static func check(count: Int? = nil, nfe: Int? = nil, batch: Int, threads: Int?) throws {
        if let count, count <= 0 { throw CLIError("--count must be positive, got \(count)") }
        if let nfe, nfe <= 0 { throw CLIError("--nfe must be positive, got \(nfe)") }
        guard batch > 0 else { throw CLIError("--batch must be positive, got \(batch)") }
        if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
    }
}

/// `--model`: a built-in model's name or a file.
enum ModelArgument {
    /// Refuses an empty (or blank) name up front, listing the built-in models, instead of
    /// letting it resolve to the current folder.
    static func check(_ name: String) throws {
        guard name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        throw CLIError("--model '\(name)' is empty; give a built-in model (\(BuiltinModels.names.joined(separator: ", "))) "
                       + "or a model file (.safetensors checkpoint or Gaussian-mixture .json)")
    }
}

/// Warnings about sampler settings that run but give poor samples.
enum SamplerWarnings {
    /// The fewest steps with which a reverse-time SDE sampler follows its SDE: with fewer, the
    /// noise it injects is not removed and samples land far from the data (euler-maruyama with
    /// one step returns values near ±2000 on gmm2d).
    static let fewestSDESteps = 10

    /// The warning for `sampler`, or nil when its step count is sensible for its process.
    static func tooFewSteps(_ sampler: any Sampler) -> String? {
        guard let sde = sampler as? ReverseSDESampler, let steps = sde.steps, steps < fewestSDESteps else { return nil }
        let fewest = fewestSDESteps
        return "\(sampler.name) with steps=\(steps) is too few for a reverse-time SDE: its samples will be far from the data; "
            + "give at least \(fewest) steps (--nfe or steps=), or use an ODE sampler (ddim, heun) for small budgets"
    }
}
