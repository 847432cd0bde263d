import Foundation
import ScoreKitCore

/// The UCI optical digits as shipped by scikit-learn: 1797 grey-scale images of 8×8 pixels
/// with values 0–16 and their labels (E. Alpaydin and C. Kaynak, 1998; UCI Machine Learning
/// Repository, https://doi.org/10.24432/C50P49; CC BY 4.0). The file is a resource of this
/// module, extracted by `scripts/extract_digits.py`.
///
/// Pixels are mapped to [−1, 1] by `v/8 − 1`. The first 1500 images are the training set and
/// the last 297 the held-out set.
public struct DigitsData: Sendable {
    /// All images, `[1797, 1, 8, 8]`, in [−1, 1].
    public let images: Tensor
    /// Their labels 0–9.
    public let labels: [Int]
    /// The number of training images; the rest are held out.
    public static let trainingCount = 1500

    /// The shipped data set (parsed once).
    public static func load() throws -> DigitsData {
        if let cached = shipped { return cached }
        throw DigitsDataError.missingResource
    }

    private static let shipped: DigitsData? = {
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "csv", subdirectory: "Resources"),
              let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? DigitsData(csv: data)
    }()

    /// Parses the CSV form: `#` comment lines, a header, then 64 pixel values and a label per line.
    public init(csv: Data) throws {
        guard let text = String(data: csv, encoding: .utf8) else { throw DigitsDataError.malformed("not UTF-8") }
        var pixels: [Float] = [], labels: [Int] = []
        var header = true
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.hasPrefix("#") {
            if header { header = false; continue }
            let values = line.split(separator: ",").compactMap { Int($0) }
            guard values.count == 65, line.split(separator: ",").count == 65,
                  values.dropLast().allSatisfy({ (0...16).contains($0) }), (0...9).contains(values[64]) else {
                throw DigitsDataError.malformed("line \(number + 1) is not 64 pixels in 0…16 and a label in 0…9")
            }
            pixels += values.dropLast().map { Float($0) / 8 - 1 }
            labels.append(values[64])
        }
        images = Tensor(shape: [labels.count, 1, 8, 8], scalars: pixels)
        self.labels = labels
    }

    /// The training images and labels (the first 1500).
    public var training: (images: Tensor, labels: [Int]) {
        (images.rows(0..<Self.trainingCount), Array(labels[..<Self.trainingCount]))
    }

    /// The held-out images and labels (the last 297).
    public var heldOut: (images: Tensor, labels: [Int]) {
        (images.rows(Self.trainingCount..<images.rows), Array(labels[Self.trainingCount...]))
    }
}

/// The digits resource is missing or damaged.
public enum DigitsDataError: Error, CustomStringConvertible {
    case missingResource
    case malformed(String)

    public var description: String {
        switch self {
        case .missingResource: "the digits data set (Resources/digits.csv of ScoreKitModels) is missing or unreadable"
        case .malformed(let why): "digits data: \(why)"
        }
    }
}
