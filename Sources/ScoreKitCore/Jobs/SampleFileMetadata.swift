import Foundation

/// What a sample file says about the run it came from, so shards can be checked and merged:
/// stored in a `.safetensors` file's `__metadata__`, and for `.npy` (whose header NumPy keeps
/// to three keys) in a sidecar JSON file `NAME.npy.shard.json`.
///
/// A one-process run is shard 1/1 with indices `0..<count`, and so is a merged file: the two
/// carry the same metadata.
public struct SampleFileMetadata: Sendable, Equatable {
    /// The model as named on the command line.
    public var model: String
    /// The sampler spec that ran (resolved, fitted to the budget).
    public var sampler: String
    /// The run seed.
    public var seed: UInt64
    /// Samples in the whole run (all shards).
    public var count: Int
    /// Which shard of how many this file is.
    public var shard: Shard
    /// The sample indices the file holds, in order.
    public var indices: Range<Int>
    /// The BLAS kernel the samples were computed with (`unknown` when not known).
    public var blasKernel: String
    /// The class labels and guidance of the run, in words (nil: unconditional).
    public var conditioning: String?

    /// The metadata; see the properties.
    public init(model: String, sampler: String, seed: UInt64, count: Int, shard: Shard, indices: Range<Int>, blasKernel: String,
                conditioning: String? = nil) {
        self.model = model
        self.sampler = sampler
        self.seed = seed
        self.count = count
        self.shard = shard
        self.indices = indices
        self.blasKernel = blasKernel
        self.conditioning = conditioning
    }

    /// The key–value strings stored in the file.
    public var dictionary: [String: String] {
        var d = ["model": model, "sampler": sampler, "seed": String(seed), "count": String(count), "shard": shard.description,
                 "indices": "\(indices.lowerBound)..<\(indices.upperBound)", "blas_kernel": blasKernel]
        if let conditioning { d["conditioning"] = conditioning }
        return d
    }

    /// Reads the strings of `dictionary` back; `path` names the file in errors.
    public init(dictionary d: [String: String], path: String) throws {
        func value(_ key: String) throws -> String {
            guard let v = d[key] else {
                throw FileFormatError.malformed(path, reason: "no '\(key)' in its sample metadata (not written by `scorekit sample --shard`?)")
            }
            return v
        }
        func bad(_ key: String, _ v: String) -> FileFormatError { .malformed(path, reason: "metadata '\(key)' is '\(v)'") }
        let seedText = try value("seed"), countText = try value("count"), indexText = try value("indices")
        guard let seed = UInt64(seedText) else { throw bad("seed", seedText) }
        guard let count = Int(countText), count > 0 else { throw bad("count", countText) }
        let bounds = indexText.components(separatedBy: "..<").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] <= count else { throw bad("indices", indexText) }
        let shard: Shard
        do { shard = try Shard(parsing: try value("shard")) } catch { throw bad("shard", d["shard"] ?? "") }
        self.init(model: try value("model"), sampler: try value("sampler"), seed: seed, count: count, shard: shard,
                  indices: bounds[0]..<bounds[1], blasKernel: d["blas_kernel"] ?? "unknown", conditioning: d["conditioning"])
    }

    /// The sidecar file of a `.npy` sample file.
    public static func sidecar(of url: URL) -> URL { URL(fileURLWithPath: url.path + ".shard.json") }

    /// The sidecar's bytes: the dictionary as sorted JSON.
    public var sidecarData: Data {
        (try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
    }

    /// The metadata of sample file `url`: its `__metadata__`, or for `.npy` its sidecar.
    public static func read(of url: URL, reader: ArrayFileReader) throws -> SampleFileMetadata {
        guard url.pathExtension.lowercased() == "npy" else { return try Self(dictionary: reader.metadata, path: url.path) }
        let side = sidecar(of: url)
        guard let data = FileManager.default.contents(atPath: side.path) else {
            throw FileFormatError.cannotRead(url.path, reason: "its shard metadata \(side.lastPathComponent) is missing")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw FileFormatError.malformed(side.path, reason: "not a JSON object of strings")
        }
        return try Self(dictionary: object, path: side.path)
    }
}
