import ScoreKitCore

/// A class-conditional trained denoiser (a U-Net with `label_classes`, trained with label
/// dropout) behind `ConditionalDenoiser`: one network gives `D(x; σ | c)` for each label and,
/// with the ∅ row of its label table, the unconditional `D(x; σ)`.
public struct TrainedConditionalDenoiser: ConditionalDenoiser, DenoiserWrapper {
    /// The denoiser; its network has `labelClasses`.
    public let base: TrainedDenoiser

    /// Wraps `base`; nil when its network is unconditional.
    public init?(_ base: TrainedDenoiser) {
        guard base.labelClasses != nil else { return nil }
        self.base = base
    }

    /// The network's `label_classes`.
    public var labelCount: Int { base.labelClasses! }
    /// The network's denoiser, whose samples these are.
    public var wrapped: any Denoiser { base }

    /// `D(x; σ | c)` per row; nil labels use the ∅ row. Throws `ConditioningError` for a label
    /// outside `0..<labelCount`.
    public func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        try base.denoise(x, sigma: sigma, classes: labels)
    }
}

extension TrainedConditionalDenoiser: DifferentiableDenoiser {
    /// The unconditional estimate's vector–Jacobian products (what likelihoods use).
    public func denoise(_ x: Tensor, sigma: [Double],
                        pullingBackRowwise cotangents: (Int, Tensor) throws -> [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor]) {
        try base.denoise(x, sigma: sigma, pullingBackRowwise: cotangents)
    }

    public var dataStandardDeviation: Double? { base.dataStandardDeviation }
}

/// A class label a conditional model does not have.
public enum ConditioningError: Error, Equatable, CustomStringConvertible {
    /// The label is outside `0..<labelCount`.
    case labelOutOfRange(Int, labelCount: Int)

    /// The message.
    public var description: String {
        switch self {
        case let .labelOutOfRange(label, count): "class label \(label) is outside 0…\(count - 1)"
        }
    }
}
