/// Where a sampler gets its random draws.
///
/// A noise source belongs to one batch: row `r` of every tensor it returns is the noise of
/// that batch's row `r`. It is a reference type because drawing advances it; it is used by one
/// task at a time.
public protocol NoiseSource: AnyObject {
    /// The next standard-normal draws: one row of `shape` per batch row in `rows`
    /// (all rows, in order, when `rows` is nil).
    func normal(rows: [Int]?, shape: [Int]) throws -> Tensor
    /// The next uniform draw in (0, 1) for each batch row in `rows` (all when nil).
    func uniform(rows: [Int]?) throws -> [Double]
    /// A fresh source over another stream of the same run, for rows with the given indices
    /// (a Markov-chain sampler keys its chains' noise by chain, not by sample).
    func derived(stream: UInt32, sampleIndices: [Int]) throws -> any NoiseSource
}

extension NoiseSource {
    /// The next standard-normal draws for every row of a batch shaped like `like`.
    public func normal(like x: Tensor) throws -> Tensor {
        try normal(rows: nil, shape: x.rowShape)
    }
}

/// Noise from `RandomStreams`: row `r` draws from the sample index `sampleIndices[r]`, with a
/// cursor of its own, so a sample's draws depend only on (seed, stream, sample, draw).
public final class PhiloxNoise: NoiseSource {
    /// The streams of the run.
    public let streams: RandomStreams
    /// The stream this source draws from.
    public let stream: UInt32
    /// The sample (or chain) index of each batch row.
    public let sampleIndices: [Int]
    private var nextBlock: [Int]

    /// A source for the batch rows `sampleIndices` in `stream` of the run with `seed`.
    public init(seed: UInt64, stream: UInt32 = RandomStreamID.samplerNoise, sampleIndices: [Int]) {
        self.streams = RandomStreams(seed: seed)
        self.stream = stream
        self.sampleIndices = sampleIndices
        self.nextBlock = Array(repeating: 0, count: sampleIndices.count)
    }

    public func normal(rows: [Int]?, shape: [Int]) throws -> Tensor {
        let rows = rows ?? Array(sampleIndices.indices)
        let n = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: rows.count * n)
        out.withUnsafeMutableBufferPointer { p in
            for (k, r) in rows.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: p[(k * n)..<((k + 1) * n)])
                streams.fillNormals(slice, stream: stream, sample: sampleIndices[r], firstBlock: nextBlock[r])
                nextBlock[r] += (n + 3) / 4
            }
        }
        return Tensor(shape: [rows.count] + shape, scalars: out)
    }

    public func uniform(rows: [Int]?) throws -> [Double] {
        let rows = rows ?? Array(sampleIndices.indices)
        return rows.map { r in
            defer { nextBlock[r] += 1 }
            return streams.uniforms(stream: stream, sample: sampleIndices[r], block: nextBlock[r])[0]
        }
    }

    public func derived(stream: UInt32, sampleIndices: [Int]) throws -> any NoiseSource {
        PhiloxNoise(seed: streams.seed, stream: stream, sampleIndices: sampleIndices)
    }
}

/// Noise replayed from recorded tensors, in order: for parity tests against reference
/// implementations that injected the same draws.
public final class ReplayNoise: NoiseSource {
    private var queue: [Tensor]
    private var next = 0

    /// A source that returns `tensors` one after another.
    public init(_ tensors: [Tensor]) { self.queue = tensors }

    public func normal(rows: [Int]?, shape: [Int]) throws -> Tensor {
        guard next < queue.count else { throw ReplayNoiseError.exhausted(after: queue.count) }
        defer { next += 1 }
        let t = queue[next]
        guard let rows else { return t }
        return t.gatherRows(rows)
    }

    public func uniform(rows: [Int]?) throws -> [Double] {
        throw ReplayNoiseError.uniformNotRecorded
    }

    public func derived(stream: UInt32, sampleIndices: [Int]) throws -> any NoiseSource {
        throw ReplayNoiseError.noDerivedStreams
    }
}

/// Errors of `ReplayNoise`.
public enum ReplayNoiseError: Error, CustomStringConvertible {
    /// The sampler asked for more draws than were recorded.
    case exhausted(after: Int)
    /// Replay carries normal draws only.
    case uniformNotRecorded
    /// Replay has one recorded stream.
    case noDerivedStreams

    public var description: String {
        switch self {
        case .exhausted(let n): "replayed noise exhausted after \(n) draws"
        case .uniformNotRecorded: "replayed noise holds no uniform draws"
        case .noDerivedStreams: "replayed noise has no other streams"
        }
    }
}
