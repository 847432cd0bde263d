import Foundation
import ScoreKitCore

/// The UCI optical digits as shipped by scikit-learn: 1797 grey-scale images of 8×8 pixels
/// with values 0–16 and their labels (E. Alpaydin and C. Kaynak, 1998; UCI Machine Learning
/// Repository, https://doi.org/10.24432/C50P49; CC BY 4.0). The file is a resource of this
/// module, extracted by `scripts/extract_digits.py`.
///
/// Pixels are mapped to [−1, 1] by `v/8 − 1`. 297 images, chosen by a seeded shuffle recorded in
/// the file's `heldout` column, are held out; the other 1500 are the training set.
public struct DigitsData: Sendable {
    /// All images, `[1797, 1, 8, 8]`, in [−1, 1].
    public let images: Tensor
    /// Their labels 0–9.
    public let labels: [Int]
    /// Whether each image is in the held-out set.
    public let heldOutMask: [Bool]

    /// The shipped data set (parsed once). Throws `MissingResourceError` when the resource
    /// bundle is missing, `DigitsDataError` when the file is unreadable or damaged.
    public static func load() throws -> DigitsData {
        try shipped.get()
    }

    private static let shipped = Result<DigitsData, any Error> {
        let url = try ModelResources.current.url(forResource: "digits", withExtension: "csv")
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DigitsDataError.missingResource }
        return try DigitsData(csv: data)
    }

    /// Parses the CSV form: `#` comment lines, a header, then per line 64 pixel values, a label
    /// and the held-out flag.
    public init(csv: Data) throws {
        guard let text = String(data: csv, encoding: .utf8) else { throw DigitsDataError.malformed("not UTF-8") }
        var pixels: [Float] = [], labels: [Int] = [], heldOut: [Bool] = []
        var header = true
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.hasPrefix("#") {
            if header { header = false; continue }
            let values = line.split(separator: ",").compactMap { Int($0) }
            guard values.count == 66, line.split(separator: ",").count == 66,
                  values[..<64].allSatisfy({ (0...16).contains($0) }), (0...9).contains(values[64]), (0...1).contains(values[65]) else {
                throw DigitsDataError.malformed("line \(number + 1) is not 64 pixels in 0…16, a label in 0…9 and a 0/1 held-out flag")
            }
            pixels += values[..<64].map { Float($0) / 8 - 1 }
            labels.append(values[64])
            heldOut.append(values[65] == 1)
        }
        images = Tensor(shape: [labels.count, 1, 8, 8], scalars: pixels)
        self.labels = labels
        heldOutMask = heldOut
    }

    /// The 1500 training images and their labels.
    public var training: (images: Tensor, labels: [Int]) { part(heldOut: false) }

    /// The 297 held-out images and their labels.
    public var heldOut: (images: Tensor, labels: [Int]) { part(heldOut: true) }

    private func part(heldOut: Bool) -> (images: Tensor, labels: [Int]) {
        let rows = heldOutMask.indices.filter { heldOutMask[$0] == heldOut }
        return (images.gatherRows(rows), rows.map { labels[$0] })
    }
}

/// The digits resource is missing or damaged.
public enum DigitsDataError: Error, CustomStringConvertible {
    case missingResource
    case malformed(String)

    /// The message.
    public var description: String {
        switch self {
        case .missingResource: "the digits data set (Resources/digits.csv of ScoreKitModels) is missing or unreadable"
        case .malformed(let why): "digits data: \(why)"
        }
    }
}
