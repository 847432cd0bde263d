import Foundation
import ScoreKitCore

// `LocalizedError` for ScoreKitModels' errors: `localizedDescription` is the one-line message
// of `description` (see ScoreKitCore's LocalizedErrors.swift).

extension ModelLoadError: DescribedError {}
extension MissingResourceError: DescribedError {}
extension TrainingError: DescribedError {}
extension DigitsDataError: DescribedError {}
extension Tutorial2DDataError: DescribedError {}
extension GaussianMixtureError: DescribedError {}
extension NetworkConfigError: DescribedError {}
extension ConditioningError: DescribedError {}
