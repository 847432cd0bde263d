import Foundation

/// The Philox4x32-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy
/// as 1, 2, 3", SC 2011).
///
/// A pure function from a 128-bit counter and a 64-bit key to 128 random bits: there is no
/// state to share, so any draw can be computed independently of every other. ScoreKit keys it
/// by the run seed and puts (draw block, stream, sample index) in the counter, which makes the
/// noise of sample *i* independent of batch size, thread count and shard.
public enum Philox4x32 {
    private static let multipliers: (UInt32, UInt32) = (0xD251_1F53, 0xCD9E_8D57)
    private static let weyl: (UInt32, UInt32) = (0x9E37_79B9, 0xBB67_AE85)

    /// Ten rounds of Philox4x32 on `counter` under `key`.
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter, k = key
        for round in 0..<10 {
            if round > 0 { k &+= SIMD2(weyl.0, weyl.1) }
            let p0 = UInt64(multipliers.0) * UInt64(c[0])
            let p1 = UInt64(multipliers.1) * UInt64(c[2])
            c = SIMD4(UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k[0],
                      UInt32(truncatingIfNeeded: p1),
                      UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k[1],
                      UInt32(truncatingIfNeeded: p0))
        }
        return c
    }
}

/// Independent random streams of one run, addressed by (seed, stream, sample, draw).
///
/// Draw `k` of sample `i` in stream `s` comes from block `k / 4` of the Philox counter
/// `(k / 4, s, i mod 2³², i / 2³²)` under the key `(seed mod 2³², seed / 2³²)`. Normals come in
/// Box–Muller pairs from the block's four words, so draw `k` never depends on another sample.
public struct RandomStreams: Sendable, Hashable {
    /// The run seed.
    public let seed: UInt64

    /// Streams for `seed`.
    public init(seed: UInt64) { self.seed = seed }

    /// The four 32-bit words of block `block` for `sample` in `stream`.
    @inline(__always)
    public func words(stream: UInt32, sample: Int, block: Int) -> SIMD4<UInt32> {
        let i = UInt64(bitPattern: Int64(sample))
        return Philox4x32.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: block), stream,
                           UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32)),
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// Four uniforms in the open interval (0, 1) from one block.
    @inline(__always)
    public func uniforms(stream: UInt32, sample: Int, block: Int) -> SIMD4<Double> {
        let w = words(stream: stream, sample: sample, block: block)
        let scale = 1.0 / 4_294_967_296.0
        return SIMD4((Double(w[0]) + 0.5) * scale, (Double(w[1]) + 0.5) * scale,
                     (Double(w[2]) + 0.5) * scale, (Double(w[3]) + 0.5) * scale)
    }

    /// Four standard-normal draws from one block (two Box–Muller pairs).
    @inline(__always)
    public func normals(stream: UInt32, sample: Int, block: Int) -> SIMD4<Double> {
        let u = uniforms(stream: stream, sample: sample, block: block)
        let r0 = (-2 * Foundation.log(u[0])).squareRoot(), r1 = (-2 * Foundation.log(u[2])).squareRoot()
        let a0 = 2 * Double.pi * u[1], a1 = 2 * Double.pi * u[3]
        return SIMD4(r0 * cos(a0), r0 * sin(a0), r1 * cos(a1), r1 * sin(a1))
    }

    /// `count` standard-normal draws of `sample` in `stream`, starting at block `firstBlock`,
    /// written to `out`. Consumes `⌈count / 4⌉` blocks.
    public func fillNormals(_ out: UnsafeMutableBufferPointer<Float>, stream: UInt32, sample: Int, firstBlock: Int) {
        var j = 0, block = firstBlock
        while j < out.count {
            let z = normals(stream: stream, sample: sample, block: block)
            for l in 0..<Swift.min(4, out.count - j) { out[j + l] = Float(z[l]) }
            j += 4
            block += 1
        }
    }
}

/// The named streams of a run. Each purpose draws from its own stream so that, for example,
/// the initial noise of a sample does not change when a sampler draws more step noise.
public enum RandomStreamID {
    /// The initial standard-normal z of each sample (the prior draw before scaling).
    public static let initialNoise: UInt32 = 0
    /// The noise a sampler injects along the way.
    public static let samplerNoise: UInt32 = 1
    /// Draws of exact data samples (reference sets for metrics).
    public static let data: UInt32 = 2
    /// Per-chain noise of Markov-chain samplers (indexed by chain, not sample).
    public static let chain: UInt32 = 3
    /// Free for samplers and tools that need a stream of their own.
    public static let auxiliary: UInt32 = 4
}
