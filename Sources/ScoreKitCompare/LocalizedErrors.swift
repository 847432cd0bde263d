import Foundation

// `LocalizedError` for ScoreKitCompare's errors (see ScoreKitCore's LocalizedErrors.swift).

extension ComparisonError: LocalizedError {
    /// The message of `description` worded for a `ComparisonPlan` filled in from code: its
    /// properties where `description` names the flags of `scorekit compare`.
    public var errorDescription: String? {
        switch self {
        case .noSamplers:
            "no sampler specs; give at least one, e.g. \"ddim\" or \"ddpm:variance=large\""
        case let .badSampler(spec, reason):
            "sampler spec '\(spec)': \(reason)"
        case let .duplicateSampler(spec, resolved):
            "sampler spec '\(spec)' repeats an earlier sampler (both are \(resolved))"
        case .noBudgets:
            "no NFE budgets; give positive budgets, e.g. 10, 20, 50, 100"
        case let .badBudget(text, reason):
            "NFE budgets \(text): \(reason); give positive whole numbers, e.g. 10, 20, 50, 100"
        case let .badCount(n):
            "the sample count must be at least 2 (the metrics need two samples), got \(n)"
        case let .badBatch(n):
            "the batch size must be positive, got \(n)"
        case let .badThreads(n):
            "the thread count must be at least 1, got \(n)"
        case let .badTrajectoryFrames(n):
            "the trajectory figures' state count must be 0 (no figures) or 2…50, got \(n)"
        case let .badGuidance(weight, reason):
            "guidance weight \(weight): \(reason)"
        case let .taskUnavailable(task, model, reason):
            "task \(task) is not available for \(model): \(reason)"
        case let .badReferenceSolver(spec, reason):
            "reference solver '\(spec)': \(reason) (or no reference solver)"
        case let .outputNotFolder(path):
            "output \(path) exists and is not a folder; give a folder (new or from an earlier run to resume)"
        case let .outputNotWritable(path, reason):
            "output \(path): \(reason)"
        case let .model(message):
            "model: \(message)"
        }
    }
}
