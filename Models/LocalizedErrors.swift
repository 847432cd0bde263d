import Foundation

// `LocalizedError` for ScoreKitModels' errors: `localizedDescription` is the one-line message
// of `description` (see ScoreKitCore's LocalizedErrors.swift).

extension ModelLoadError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension MissingResourceError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension TrainingError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension DigitsDataError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension GaussianMixtureError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}

extension NetworkConfigError: LocalizedError {
    /// The one-line message, as `description`.
    public var errorDescription: String? { description }
}
