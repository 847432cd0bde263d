import Foundation
import ScoreKitTestSupport
import Testing
@testable import ScoreKitCompare
import ScoreKit

/// The shipped trained models carry what a comparison measures against: fresh data for the
/// 2-D sets, the held-out digits and the digit classifier's feature space for `digits`.
@Suite("Metrics for the trained models", .tags(.statistical), .statistical)
struct TrainedModelMetricsTests {
    @Test("2-D models: SW and MMD² against fresh draws of their own data")
    func toyModels() throws {
        let model = try ModelLoader.load("moons")
        let suite = try QualitySuite(model: model, count: 300, seed: 4)
        #expect(suite.metrics.map(\.name) == ["sw", "mmd2"])
        #expect(suite.reference == Toy2D.moons.sample(count: 300, seed: 4))
        // Draws B_k are fresh data, so the floor is the data-vs-data distance: positive, and
        // far below the distance to a standard normal of the same size.
        let gaussian = try PhiloxNoise(seed: 99, sampleIndices: Array(0..<300)).normal(rows: nil, shape: [2])
        let toGaussian = try suite.metrics[0].measure(gaussian)
        let floor = try #require(suite.noiseFloor["sw"])
        #expect(floor > 0 && floor < toGaussian / 2)
    }

    @Test("digits: FD in the digit classifier's features against the held-out set, and its confidence")
    func digits() throws {
        let model = try ModelLoader.load("digits")
        let suite = try QualitySuite(model: model, count: 200, seed: 4)
        #expect(suite.metrics.map(\.name) == ["sw", "mmd2", "fd_digits", "confidence_digits"])
        #expect(suite.notes.isEmpty)
        let heldOut = try DigitsData.load().heldOut.images
        let reference = try #require(suite.reference)
        #expect(reference.shape == [200, 1, 8, 8])
        // Every reference row is a held-out image (drawn with replacement).
        let rows = Set((0..<heldOut.rows).map { Array(heldOut.row($0)) })
        #expect((0..<reference.rows).allSatisfy { rows.contains(Array(reference.row($0))) })
        // Held-out digits are real digits: the classifier is confident on them, and noise is far from them.
        #expect((suite.noiseFloor["confidence_digits"] ?? 0) > 0.9)
        let noise = try PhiloxNoise(seed: 5, sampleIndices: Array(0..<200)).normal(rows: nil, shape: [1, 8, 8])
        let fd = try #require(suite.metrics.first { $0.name == "fd_digits" })
        #expect(try fd.measure(noise) > 10 * (suite.noiseFloor["fd_digits"] ?? .infinity))
    }
}
