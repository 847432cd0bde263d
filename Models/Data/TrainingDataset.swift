import Foundation
import ScoreKitCore

/// Data a network trains on: minibatches addressed by (seed, stream, step), so a run is
/// reproducible and resumes exactly.
public protocol TrainingDataset: Sendable {
    /// The name `scorekit train --data` takes.
    var name: String { get }
    /// The shape of one sample.
    var sampleShape: [Int] { get }
    /// The root mean square of the data (EDM's σ_data).
    var sigmaData: Double { get }
    /// Minibatch `step` of `size` rows drawn under `seed` from `stream`, with class labels
    /// when the data has them (empty otherwise).
    func batch(size: Int, step: Int, seed: UInt64, stream: UInt32) -> (x: Tensor, labels: [Int])
}

/// The training sets `scorekit train` knows.
public enum TrainingData {
    /// The names `--data` takes.
    public static let names = Toy2D.allCases.map(\.rawValue) + digitsNames
    /// The digits sets: `digits` (unconditional) and `digits-cond` (the same images, for a
    /// class-conditional model).
    public static let digitsNames = ["digits", "digits-cond"]

    /// The data set `name`, or an error listing the valid names.
    public static func named(_ name: String) throws -> any TrainingDataset {
        if let kind = Toy2D(rawValue: name) { return Toy2DDataset(kind: kind) }
        if digitsNames.contains(name) { return DigitsDataset(data: try DigitsData.load(), name: name) }
        throw TrainingError.unknownDataset(name, valid: names)
    }
}

/// A 2-D toy as an endless stream of fresh, exact draws (standardised, so σ_data = 1).
public struct Toy2DDataset: TrainingDataset {
    /// Which toy.
    public let kind: Toy2D
    public var name: String { kind.rawValue }
    public var sampleShape: [Int] { [2] }
    public var sigmaData: Double { 1 }

    public func batch(size: Int, step: Int, seed: UInt64, stream: UInt32) -> (x: Tensor, labels: [Int]) {
        (kind.sample(count: size, seed: seed, firstIndex: step * size, stream: stream), [])
    }
}

/// The digits training set (1500 images); minibatches draw rows uniformly with replacement.
public struct DigitsDataset: TrainingDataset {
    /// The training images `[1500, 1, 8, 8]` and their labels.
    public let images: Tensor
    /// The labels of `images`.
    public let labels: [Int]
    /// The images' root mean square (0.85).
    public let sigmaData: Double
    /// `digits` or `digits-cond`.
    public let name: String
    public var sampleShape: [Int] { [1, 8, 8] }

    /// The training part of `data`; σ_data is its root mean square, rounded to two decimals.
    public init(data: DigitsData, name: String = "digits") {
        self.name = name
        (images, labels) = data.training
        let meanSquare = images.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(images.count)
        sigmaData = (meanSquare.squareRoot() * 100).rounded() / 100
    }

    public func batch(size: Int, step: Int, seed: UInt64, stream: UInt32) -> (x: Tensor, labels: [Int]) {
        let streams = RandomStreams(seed: seed)
        let rows = (0..<size).map { i in
            min(Int(streams.uniforms(stream: stream, sample: step * size + i, block: 0)[0] * Double(images.rows)), images.rows - 1)
        }
        return (images.gatherRows(rows), rows.map { labels[$0] })
    }
}

/// Why training could not start or continue.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case unknownDataset(String, valid: [String])
    case cannotResume(String)

    /// The message.
    public var description: String {
        switch self {
        case let .unknownDataset(name, valid): "unknown data set '\(name)'; expected one of \(valid.joined(separator: ", "))"
        case let .cannotResume(why): "cannot resume: \(why)"
        }
    }
}
