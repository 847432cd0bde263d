import Foundation
import ScoreKitCore

extension GaussianMixture {
    /// The exact noise-level posterior over `grid`; nil: 1000 levels over the mixture's
    /// `sigmaRange` (for gmm2d, ring8 and gmm64 that is `NoiseLevelGrid.exactModelDefault`).
    public func noiseLevelPosterior(grid: NoiseLevelGrid? = nil) -> ExactNoiseLevelPosterior {
        ExactNoiseLevelPosterior(mixture: self, grid: grid ?? NoiseLevelGrid(sigmaMin: sigmaRange.lowerBound,
                                                                           sigmaMax: sigmaRange.upperBound, count: 1000))
    }

    /// The keys of the JSON form.
    static let jsonKeys = ["kind", "weights", "means", "stds", "shape", "classes"]

    /// A mixture from its JSON form,
    /// `{"kind":"gaussian-mixture","weights":[…],"means":[[…],…],"stds":[[…],…]}` (`stds` per
    /// dimension; an optional `"shape"` gives the sample shape, an optional `"classes"` each
    /// component's class label, by default its index), with errors that say what is
    /// wrong and where. Parsed by `JSONReader`: a million components take well under a second.
    public init(json data: Data) throws {
        func invalid(_ reason: String) -> GaussianMixtureError { .invalid(reason) }
        let root: JSONValue
        do {
            root = try JSONReader.parse(data)
        } catch let problem as JSONProblem {
            throw invalid("not valid JSON: \(problem.reason)")
        }
        guard case let .object(pairs) = root else { throw invalid("expected a JSON object, found \(root.kind)") }
        if let unknown = pairs.first(where: { !Self.jsonKeys.contains($0.key) }) {
            throw invalid("unknown key '\(unknown.key.prefix(60))' (expected \(Self.jsonKeys.joined(separator: ", ")))")
        }
        for key in Self.jsonKeys.prefix(4) where root[key] == nil {
            throw invalid("missing key '\(key)' (need kind, weights, means, stds)")
        }
        guard case let .string(kind)? = root["kind"] else { throw invalid("wrong type at 'kind': expected a string, found \(root["kind"]!.kind)") }
        guard kind == "gaussian-mixture" else { throw invalid("kind is '\(kind.prefix(60))'; expected 'gaussian-mixture'") }
        let weights = try Self.numbers(root["weights"]!, at: "weights")
        let means = try Self.rows(root["means"]!, at: "means")
        let stds = try Self.rows(root["stds"]!, at: "stds")
        let shape = try root["shape"].map { try Self.integers($0, at: "shape") }
        let classes = try root["classes"].map { try Self.integers($0, at: "classes") }
        try self.init(weights: weights, means: means, stds: stds, sampleShape: shape, classes: classes)
    }

    private static func numbers(_ value: JSONValue, at path: String) throws -> [Double] {
        switch value {
        case let .numbers(values): return values
        case let .array(elements):
            let bad = elements.firstIndex { if case .number = $0 { false } else { true } }!
            throw GaussianMixtureError.invalid("wrong type at '\(path).\(bad)': expected a number, found \(elements[bad].kind)")
        default: throw GaussianMixtureError.invalid("wrong type at '\(path)': expected an array of numbers, found \(value.kind)")
        }
    }

    private static func rows(_ value: JSONValue, at path: String) throws -> [[Double]] {
        switch value {
        case let .numbers(values) where values.isEmpty: return []
        case let .array(elements): return try elements.enumerated().map { try numbers($1, at: "\(path).\($0)") }
        case .numbers: throw GaussianMixtureError.invalid("wrong type at '\(path).0': expected an array of numbers, found a number")
        default: throw GaussianMixtureError.invalid("wrong type at '\(path)': expected an array of arrays of numbers, found \(value.kind)")
        }
    }

    private static func integers(_ value: JSONValue, at path: String) throws -> [Int] {
        try numbers(value, at: path).enumerated().map { i, v in
            guard let n = Int(exactly: v) else {
                throw GaussianMixtureError.invalid("wrong type at '\(path).\(i)': expected an integer, found \(v)")
            }
            return n
        }
    }

    /// The JSON form of this mixture.
    public func jsonData() throws -> Data {
        struct Form: Encodable {
            var kind: String, weights: [Double], means: [[Double]], stds: [[Double]], shape: [Int]?, classes: [Int]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Form(kind: "gaussian-mixture", weights: weights, means: means, stds: stds,
                                       shape: sampleShape == [dimension] ? nil : sampleShape,
                                       classes: classes == Array(0..<componentCount) ? nil : classes))
    }
}

extension NoiseLevelGrid {
    /// The grid exact models use by default: 1000 levels from 0.002 to 80 (EDM's σ range).
    public static let exactModelDefault = NoiseLevelGrid(sigmaMin: 0.002, sigmaMax: 80, count: 1000)
}
