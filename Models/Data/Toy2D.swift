import Foundation
import ScoreKitCore

/// The 2-D toy data sets the trained MLP models learn, drawn exactly and standardised.
///
/// Draw *i* uses only (seed, stream, i): one Philox block of uniforms and one of normals, so a
/// training minibatch or a reference set is reproducible and independent of batch size.
/// Each set is standardised (zero mean, unit variance per coordinate) with moments measured
/// once on 2¹⁷ draws under a fixed seed.
public enum Toy2D: String, CaseIterable, Sendable {
    /// Two interleaving half circles (scikit-learn's `make_moons`), noise std 0.05.
    case moons
    /// A 2-D swiss roll, `t·(cos t, sin t)` with `t ∈ 1.5π·[1, 3]`, noise std 0.25.
    case swissroll
    /// A 4×4 checkerboard of uniform squares on [−2, 2]² (FFJORD's toy), half of them filled.
    case checkerboard

    /// One raw (unstandardised) point from four uniforms and two normals.
    func point(_ u: SIMD4<Double>, _ z: SIMD4<Double>) -> (Double, Double) {
        switch self {
        case .moons:
            let t = Double.pi * u[1]
            let (x, y) = u[0] < 0.5 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
            return (x + 0.05 * z[0], y + 0.05 * z[1])
        case .swissroll:
            let t = 1.5 * Double.pi * (1 + 2 * u[0])
            return (t * cos(t) + 0.25 * z[0], t * sin(t) + 0.25 * z[1])
        case .checkerboard:
            let x = 4 * u[0] - 2
            let y = u[1] - (u[2] < 0.5 ? 0 : 2) + (Int((x + 2).rounded(.down)) % 2 == 0 ? 0 : 1)
            return (x, y)
        }
    }

    private func raw(count: Int, seed: UInt64, firstIndex: Int, stream: UInt32) -> [Double] {
        let streams = RandomStreams(seed: seed)
        var out = [Double](repeating: 0, count: 2 * count)
        for i in 0..<count {
            let index = firstIndex + i
            let (x, y) = point(streams.uniforms(stream: stream, sample: index, block: 0),
                               streams.normals(stream: stream, sample: index, block: 1))
            out[2 * i] = x
            out[2 * i + 1] = y
        }
        return out
    }

    /// Mean and standard deviation of each coordinate, from 2¹⁷ draws under seed 0x5C0_4E.
    var moments: (mean: (Double, Double), std: (Double, Double)) {
        switch self {
        case .moons: Self.moonsMoments
        case .swissroll: Self.swissrollMoments
        case .checkerboard: Self.checkerboardMoments
        }
    }
    private static let moonsMoments = measure(.moons)
    private static let swissrollMoments = measure(.swissroll)
    private static let checkerboardMoments = measure(.checkerboard)

    private static func measure(_ kind: Toy2D) -> (mean: (Double, Double), std: (Double, Double)) {
        let n = 1 << 17
        let v = kind.raw(count: n, seed: 0x5C0_4E, firstIndex: 0, stream: RandomStreamID.data)
        var mx = 0.0, my = 0.0
        for i in 0..<n { mx += v[2 * i]; my += v[2 * i + 1] }
        mx /= Double(n); my /= Double(n)
        var vx = 0.0, vy = 0.0
        for i in 0..<n { vx += (v[2 * i] - mx) * (v[2 * i] - mx); vy += (v[2 * i + 1] - my) * (v[2 * i + 1] - my) }
        return ((mx, my), ((vx / Double(n)).squareRoot(), (vy / Double(n)).squareRoot()))
    }

    /// `count` standardised points `[count, 2]`: draws `firstIndex ..< firstIndex + count` of
    /// `stream` under `seed`.
    public func sample(count: Int, seed: UInt64, firstIndex: Int = 0, stream: UInt32 = RandomStreamID.data) -> Tensor {
        let v = raw(count: count, seed: seed, firstIndex: firstIndex, stream: stream)
        let m = moments
        var out = [Float](repeating: 0, count: 2 * count)
        for i in 0..<count {
            out[2 * i] = Float((v[2 * i] - m.mean.0) / m.std.0)
            out[2 * i + 1] = Float((v[2 * i + 1] - m.mean.1) / m.std.1)
        }
        return Tensor(shape: [count, 2], scalars: out)
    }
}
