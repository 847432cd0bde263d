import Foundation

// `LocalizedError` for ScoreKitCore's errors, so that `localizedDescription` (what Foundation and
// SwiftUI show) is the one-line message instead of "The operation could not be completed".
//
// The message is the error's `description`, except where `description` names a command-line
// flag of the `scorekit` tool: `errorDescription` then words the same sentence for the API, and
// the tool keeps printing `description` with its flag.

extension FileFormatError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension ShapeProblem: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension JSONProblem: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension ReplayNoiseError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension BLASConfigurationError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension SamplingError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension ShardMergeError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension ShardError: LocalizedError {
    /// The message of `description` without the tool's `--shard` flag.
    public var errorDescription: String? {
        switch self {
        case let .bad(text, reason): "shard \(text): \(reason)"
        }
    }
}

extension SamplerSpecError: LocalizedError {
    /// The message of `description` (the tool says `--nfe` where it says "the budget of").
    public var errorDescription: String? { description }
}

extension InvalidOptionValue: LocalizedError, CustomStringConvertible {
    /// "invalid value; expected …".
    public var description: String { "invalid value; expected \(expected)" }
    /// The message of `description`.
    public var errorDescription: String? { description }
}
