import Foundation
import ScoreKitCore

/// The ranges a checkpoint's numbers must lie in, and the checks that its sections agree,
/// made before any network is built or weight read.
public enum ModelLimits {
    /// σ_data: 10⁻⁴ … 10⁴ (outside it EDM's coefficients underflow or lose the data).
    public static let sigmaData: ClosedRange<Double> = 1e-4...1e4
    /// Noise levels (a denoiser's σ range, a classifier's grid): 10⁻⁶ … 10⁶, the samplers' own
    /// range for `sigma_min`/`sigma_max`.
    public static let sigma: ClosedRange<Double> = 1e-6...1e6

    /// The sample shape of the built-in training sets a config's `dataset` may name.
    public static func datasetShape(_ name: String) -> [Int]? {
        if Toy2D(rawValue: name) != nil || Tutorial2D(rawValue: name) != nil { return [2] }
        return TrainingData.digitsNames.contains(name) ? [1, 8, 8] : nil
    }

    /// Checks every section's sizes against `NetworkConfig`'s limits, its numbers against the
    /// ranges above, and that the sections describe one sample shape (the denoiser's, which its
    /// classifiers read, and the dataset's when it is a built-in one).
    static func validate(_ config: ModelConfig, path: String) throws {
        let networks = [config.denoiser?.network, config.classifier?.network, config.labelClassifier?.network,
                        config.noisyLabelClassifier?.network]
        do {
            for case let network? in networks { try network.checkLimits() }
        } catch let error as NetworkConfigError {
            throw FileFormatError.malformed(path, reason: "config: \(error)")
        }
        if let problem = problem(config) { throw FileFormatError.malformed(path, reason: problem) }
    }

    private static func problem(_ config: ModelConfig) -> String? {
        if let d = config.denoiser {
            guard d.preconditioning == "edm" else {
                return "denoiser preconditioning '\(d.preconditioning)' is unknown; expected 'edm'"
            }
            guard sigmaData.contains(d.sigmaData) else {
                return "denoiser sigma_data = \(d.sigmaData) is outside \(range(sigmaData))"
            }
            if let problem = sigmaRangeProblem("denoiser", d.sigmaMin, d.sigmaMax) { return problem }
        }
        if let c = config.classifier {
            if let problem = sigmaRangeProblem("classifier levels", c.levels.sigmaMin, c.levels.sigmaMax) { return problem }
            guard (2...NetworkConfig.maxWidth).contains(c.levels.count) else {
                return "classifier levels count = \(c.levels.count) is outside 2 … \(NetworkConfig.maxWidth)"
            }
        }
        if let n = config.noisyLabelClassifier,
           let problem = sigmaRangeProblem("noisy_label_classifier", n.sigmaMin, n.sigmaMax) { return problem }
        return shapeAgreementProblem(config)
    }

    private static func sigmaRangeProblem(_ section: String, _ low: Double, _ high: Double) -> String? {
        guard sigma.contains(low), sigma.contains(high) else {
            return "\(section) sigma_min = \(low), sigma_max = \(high): both must lie in \(range(sigma))"
        }
        return low < high ? nil : "\(section) sigma_min = \(low) must be below sigma_max = \(high)"
    }

    private static func shapeAgreementProblem(_ config: ModelConfig) -> String? {
        var shapes: [(section: String, shape: [Int])] = []
        if let d = config.denoiser { shapes.append(("denoiser", d.network.sampleShape)) }
        if let c = config.classifier { shapes.append(("classifier", c.network.sampleShape)) }
        if let l = config.labelClassifier { shapes.append(("label_classifier", l.network.sampleShape)) }
        if let n = config.noisyLabelClassifier { shapes.append(("noisy_label_classifier", n.network.sampleShape)) }
        if let first = shapes.first, let other = shapes.dropFirst().first(where: { $0.shape != first.shape }) {
            return "\(other.section) sample_shape \(other.shape) disagrees with \(first.section) sample_shape \(first.shape); every section must read the same samples"
        }
        if let dataset = config.dataset, let expected = datasetShape(dataset),
           let first = shapes.first, first.shape != expected {
            return "\(first.section) sample_shape \(first.shape) disagrees with dataset '\(dataset)', whose samples are \(expected)"
        }
        return nil
    }

    private static func range(_ r: ClosedRange<Double>) -> String { "\(r.lowerBound) … \(r.upperBound)" }
}
