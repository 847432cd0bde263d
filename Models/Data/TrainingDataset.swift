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
    public static let names = Toy2D.allCases.map(\.rawValue) + Tutorial2D.allCases.map(\.rawValue) + digitsNames
    /// The digits sets: `digits` (unconditional) and `digits-cond` (the same images, for a
    /// class-conditional model).
    public static let digitsNames = ["digits", "digits-cond"]

    /// The data set `name`, or an error listing the valid names.
    public static func named(_ name: String) throws -> any TrainingDataset {
        if let kind = Toy2D(rawValue: name) { return Toy2DDataset(kind: kind) }
        if let kind = Tutorial2D(rawValue: name) { return Tutorial2DDataset(kind: kind, data: try kind.load()) }
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

/// A tutorial 2-D set (`scurve`, `circles`): minibatches draw its 10,000 training points
/// uniformly with replacement; σ_data is their root mean square (the data are not standardised).
public struct Tutorial2DDataset: TrainingDataset {
    /// Which set.
    public let kind: Tutorial2D
    /// The training points `[10000, 2]`.
    public let points: Tensor
    /// Their root mean square, rounded to two decimals (0.11 for scurve, 0.57 for circles).
    public let sigmaData: Double
    public var name: String { kind.rawValue }
    public var sampleShape: [Int] { [2] }

    /// The training part of `data`.
    public init(kind: Tutorial2D, data: Tutorial2DData) {
        self.kind = kind
        points = data.training
        sigmaData = data.sigmaData
    }

    public func batch(size: Int, step: Int, seed: UInt64, stream: UInt32) -> (x: Tensor, labels: [Int]) {
        (points.gatherRows(uniformRows(count: points.rows, size: size, step: step, seed: seed, stream: stream)), [])
    }
}

/// `size` row indices in 0..<count, uniform with replacement, for minibatch `step`: draw i uses
/// only (seed, stream, step·size + i).
func uniformRows(count: Int, size: Int, step: Int, seed: UInt64, stream: UInt32) -> [Int] {
    let streams = RandomStreams(seed: seed)
    return (0..<size).map { i in
        min(Int(streams.uniforms(stream: stream, sample: step * size + i, block: 0)[0] * Double(count)), count - 1)
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
        let rows = uniformRows(count: images.rows, size: size, step: step, seed: seed, stream: stream)
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
