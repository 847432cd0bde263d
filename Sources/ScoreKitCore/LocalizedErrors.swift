import Foundation

// `LocalizedError` for ScoreKitCore's errors, so that `localizedDescription` (what Foundation and
// SwiftUI show) is the one-line message instead of "The operation could not be completed".
//
// The message is the error's `description`, except where `description` names a command-line
// flag of the `scorekit` tool: `errorDescription` then words the same sentence for the API, and
// the tool keeps printing `description` with its flag.

/// An error whose `localizedDescription` is its one-line `description`: conforming is one line,
/// `extension MyError: DescribedError {}`.
public protocol DescribedError: LocalizedError, CustomStringConvertible {}

extension DescribedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension FileFormatError: DescribedError {}
extension ShapeProblem: DescribedError {}
extension JSONProblem: DescribedError {}
extension ReplayNoiseError: DescribedError {}
extension BLASConfigurationError: DescribedError {}
extension SamplingError: DescribedError {}
extension LabelError: DescribedError {}
extension GuidanceError: DescribedError {}
extension ShardMergeError: DescribedError {}

extension ShardError: LocalizedError {
    /// The message of `description` without the tool's `--shard` flag.
    public var errorDescription: String? {
        switch self {
        case let .bad(text, reason): "shard \(text): \(reason)"
        }
    }
}

extension SamplerSpecError: DescribedError {}

extension InvalidOptionValue: DescribedError {
    /// "invalid value; expected …".
    public var description: String { "invalid value; expected \(expected)" }
}
