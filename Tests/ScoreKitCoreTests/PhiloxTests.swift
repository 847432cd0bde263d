import Foundation
import Testing
@testable import ScoreKitCore

@Suite("Philox4x32-10 and random streams")
struct PhiloxTests {
    /// Random123's known-answer vectors (tests/kat_vectors, "philox4x32 10"): counter, key, output.
    @Test("published known-answer vectors", arguments: [
        ([0, 0, 0, 0] as [UInt32], [0, 0] as [UInt32], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8] as [UInt32]),
        ([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff],
         [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0],
         [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
    ])
    func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
        let out = Philox4x32.block(counter: SIMD4(counter[0], counter[1], counter[2], counter[3]),
                                   key: SIMD2(key[0], key[1]))
        #expect([out[0], out[1], out[2], out[3]] == expected)
    }

    /// Normal draws: mean 0 and variance 1 within five standard errors (SE of the mean 1/√n,
    /// of the variance √(2/n)), and no correlation between neighbouring draws.
    @Test("normal draws have the right moments")
    func moments() throws {
        let n = 200_000
        let z = try PhiloxNoise(seed: 11, sampleIndices: Array(0..<(n / 4))).normal(rows: nil, shape: [4]).scalars.map(Double.init)
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let lag = zip(z, z.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 } / Double(n - 1)
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
        #expect(abs(lag) < 5 / Double(n).squareRoot())
    }

    @Test("a sample's draws do not depend on its batch or position")
    func batchIndependence() throws {
        let alone = PhiloxNoise(seed: 5, sampleIndices: [42])
        let inBatch = PhiloxNoise(seed: 5, sampleIndices: [7, 42, 1_000_000])
        for _ in 0..<3 {
            let a = try alone.normal(rows: nil, shape: [3])
            let b = try inBatch.normal(rows: nil, shape: [3])
            #expect(a.row(0).elementsEqual(b.row(1)))
        }
        // Drawing for a subset of rows advances only those rows.
        let partial = PhiloxNoise(seed: 5, sampleIndices: [7, 42])
        _ = try partial.normal(rows: [0], shape: [3])
        let again = try partial.normal(rows: [1], shape: [3])
        #expect(again.row(0).elementsEqual(try PhiloxNoise(seed: 5, sampleIndices: [42]).normal(rows: nil, shape: [3]).row(0)))
    }

    @Test("seeds, streams and samples give different draws")
    func distinctStreams() throws {
        let base = try PhiloxNoise(seed: 1, stream: 0, sampleIndices: [0]).normal(rows: nil, shape: [8])
        for other in [PhiloxNoise(seed: 2, stream: 0, sampleIndices: [0]), PhiloxNoise(seed: 1, stream: 1, sampleIndices: [0]),
                      PhiloxNoise(seed: 1, stream: 0, sampleIndices: [1])] {
            #expect(try other.normal(rows: nil, shape: [8]) != base)
        }
    }

    @Test("uniform draws lie in (0, 1) with mean ½")
    func uniforms() throws {
        let u = try PhiloxNoise(seed: 9, sampleIndices: Array(0..<50_000)).uniform(rows: nil)
        #expect(u.allSatisfy { $0 > 0 && $0 < 1 })
        let mean: Double = u.reduce(0, +) / Double(u.count)
        let standardError: Double = (1.0 / 12 / Double(u.count)).squareRoot()
        #expect(abs(mean - 0.5) < 5 * standardError)
    }
}
