/// The class labels of a run's samples, keyed by sample index — so sample i gets the same label
/// (and the same bits) whatever the batch size, the number of threads or the shard.
///
/// A label is in `0..<labelCount` of a `ConditionalDenoiser`; a `SamplingJob` with labels hands
/// each batch row its sample's label through the `SamplingContext`, which passes it to the
/// model at every call.
public enum SampleLabels: Sendable, Equatable, CustomStringConvertible {
    /// One label for every sample.
    case all(Int)
    /// A list cycled over the sample indices: sample i gets `labels[i % labels.count]`.
    case cycled([Int])
    /// One label per sample of the run: sample i gets `labels[i]` (a shard reads its own
    /// indices from the whole run's list).
    case perSample([Int])

    /// The label of sample index `i` (nil past the end of a per-sample list).
    public func label(ofSample i: Int) -> Int? {
        switch self {
        case let .all(label): label
        case let .cycled(labels): labels.isEmpty ? nil : labels[i % labels.count]
        case let .perSample(labels): i < labels.count ? labels[i] : nil
        }
    }

    /// The labels of `indices`.
    public func labels(ofSamples indices: [Int]) -> [Int?] { indices.map { label(ofSample: $0) } }

    /// Every label value named (for range checks).
    public var values: [Int] {
        switch self {
        case let .all(label): [label]
        case let .cycled(labels), let .perSample(labels): labels
        }
    }

    /// `all(3)` → "3", `cycled` → "0,1,2" (cycled), `perSample` → "N per-sample labels".
    public var description: String {
        switch self {
        case let .all(label): "\(label)"
        case let .cycled(labels): labels.map(String.init).joined(separator: ",") + " (cycled)"
        case let .perSample(labels): "\(labels.count) per-sample labels"
        }
    }

    /// Checks the labels fit `model` for the samples `indices`: the model must be conditional,
    /// every label in `0..<labelCount`, a list non-empty, and a per-sample list must cover
    /// every index. Throws `LabelError`.
    public func check(for model: any Denoiser, samples indices: Range<Int>) throws {
        guard let conditional = model as? any ConditionalDenoiser else { throw LabelError.unconditionalModel }
        if case let .cycled(labels) = self, labels.isEmpty { throw LabelError.emptyList }
        if case let .perSample(labels) = self, labels.count < indices.upperBound {
            throw LabelError.wrongLength(labels.count, needed: indices.upperBound)
        }
        if let bad = values.first(where: { !(0..<conditional.labelCount).contains($0) }) {
            throw LabelError.outOfRange(bad, labelCount: conditional.labelCount)
        }
    }
}

/// Labels that do not fit the model or the run.
public enum LabelError: Error, Equatable, CustomStringConvertible {
    /// Labels given to a model that takes none.
    case unconditionalModel
    /// A label outside `0..<labelCount`.
    case outOfRange(Int, labelCount: Int)
    /// A per-sample list shorter than the run (it has `count`, the run needs `needed`).
    case wrongLength(Int, needed: Int)
    /// A cycled list with no labels.
    case emptyList

    public var description: String {
        switch self {
        case .unconditionalModel:
            "the model is not conditional: it takes no class labels (and no guidance)"
        case let .outOfRange(label, count):
            "label \(label) is out of range: the model's labels are 0..<\(count) (0…\(count - 1))"
        case let .wrongLength(count, needed):
            "the per-sample label list has \(count) labels; the run's samples need \(needed) (one per sample)"
        case .emptyList:
            "the label list is empty"
        }
    }
}
