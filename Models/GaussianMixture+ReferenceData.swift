import ScoreKitCore

/// An exact mixture is its own reference data: draws are exact samples (`sample(count:seed:firstIndex:)`,
/// stream `data`), so two draws with disjoint index ranges are independent.
extension GaussianMixture: ReferenceData {
    public func draw(count: Int, seed: UInt64, firstIndex: Int) throws -> Tensor {
        sample(count: count, seed: seed, firstIndex: firstIndex)
    }
}
