import Foundation

/// A ScoreKit checkpoint: one safetensors file whose `__metadata__` holds the model's config
/// as JSON under the key `config`, and whose tensors are grouped by name prefix (`denoiser.`,
/// `classifier.`, …).
///
/// Reading validates before anything is used: the safetensors structure (header length and
/// JSON, offsets inside the file, no overlaps or gaps, element counts — see `Safetensors`),
/// a config that is a JSON object, a floating-point dtype for every tensor, and finite values.
/// The model layer then checks each group against the shapes its config implies with
/// `group(_:expecting:)`. Every failure is a `FileFormatError` naming the file and the problem.
public struct Checkpoint: Sendable {
    /// The `__metadata__` key of the config.
    public static let configKey = "config"

    /// The config: the UTF-8 text of a JSON object.
    public let config: Data
    /// The tensors, by name.
    public let tensors: [String: Tensor]
    /// The tensor names in file order.
    public let names: [String]
    /// Where it was read from (for error messages).
    public let path: String

    /// A checkpoint to write.
    public init(config: Data, tensors: [(name: String, tensor: Tensor)], path: String = "checkpoint") {
        self.config = config
        self.names = tensors.map(\.name)
        self.tensors = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { $1 })
        self.path = path
    }

    /// Parses and validates a checkpoint's bytes.
    public init(data: Data, path: String = "checkpoint") throws {
        func fail(_ reason: String) -> FileFormatError { .malformed(path, reason: reason) }
        let file = try Safetensors(data: data, path: path)
        guard let text = file.metadata[Self.configKey] else {
            throw fail("no '\(Self.configKey)' in __metadata__: not a ScoreKit checkpoint")
        }
        let config = Data(text.utf8)
        let parsed: Any
        do {
            parsed = try JSONCheck.parse(config)
        } catch let problem as JSONProblem {
            throw fail("__metadata__.\(Self.configKey) is not valid JSON: \(problem.reason)")
        }
        guard parsed is [String: Any] else { throw fail("__metadata__.\(Self.configKey) is not a JSON object") }
        var tensors: [String: Tensor] = [:]
        for entry in file.entries {
            guard [.F32, .F16, .BF16, .F64].contains(entry.dtype) else {
                throw fail("tensor '\(entry.name)' has dtype \(entry.dtype.rawValue); weights must be F32, F16, BF16 or F64")
            }
            tensors[entry.name] = try file.tensor(entry.name)
        }
        self.config = config
        self.tensors = tensors
        self.names = file.entries.map(\.name)
        self.path = path
    }

    /// Reads and validates the checkpoint at `url`.
    public static func read(_ url: URL) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw FileFormatError.cannotRead(url.path, reason: exists ? "permission denied or not a file" : "no such file")
        }
        return try Checkpoint(data: data, path: url.path)
    }

    /// The file's bytes (tensors in `names` order as F32, or F16 for half the size; the config
    /// in `__metadata__`).
    public func encoded(dtype: Safetensors.DType = .F32) throws -> Data {
        try Safetensors.encode(names.map { ($0, tensors[$0]!) },
                               metadata: [Self.configKey: String(decoding: config, as: UTF8.self)], dtype: dtype)
    }

    /// Writes the checkpoint to `url` atomically (temporary file, then rename).
    public func write(to url: URL, dtype: Safetensors.DType = .F32) throws {
        try AtomicFile.write(try encoded(dtype: dtype), to: url)
    }

    /// Whether any tensor's name starts with `prefix`.
    public func hasGroup(_ prefix: String) -> Bool { names.contains { $0.hasPrefix(prefix) } }

    /// The tensors `prefix + name` for each expected name, in that order, after checking that
    /// the group holds exactly these tensors with exactly these shapes.
    public func group(_ prefix: String, expecting expected: [(name: String, shape: [Int])]) throws -> [Tensor] {
        func fail(_ reason: String) -> FileFormatError { .malformed(path, reason: reason) }
        let wanted = Set(expected.map { prefix + $0.name })
        if let extra = names.first(where: { $0.hasPrefix(prefix) && !wanted.contains($0) }) {
            throw fail("unexpected tensor '\(extra)': the config's network has no such parameter")
        }
        return try expected.map { name, shape in
            guard let t = tensors[prefix + name] else {
                throw fail("missing tensor '\(prefix + name)' (shape \(shape)) that the config's network needs")
            }
            let stored = t.count == 1 && shape.isEmpty ? [] : t.shape
            guard stored == shape || (shape.isEmpty && t.shape == [1]) else {
                throw fail("tensor '\(prefix + name)' has shape \(t.shape); the config implies \(shape)")
            }
            return t
        }
    }
}
