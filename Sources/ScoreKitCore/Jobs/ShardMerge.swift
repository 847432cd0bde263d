import Foundation

/// Joins the shard files of one sample run (`scorekit sample --shard K/N`) into the file the
/// one-process run writes, byte for byte, copying a bounded number of rows at a time.
///
/// Shards must agree on model, sampler, seed, count, shard count and sample shape, and their
/// index ranges must tile `0..<count` with no gap, overlap or duplicate; anything else is a
/// `ShardMergeError` naming the file and the problem.
public enum ShardMerge {
    /// Rows copied per read (a few MB for the built-in models).
    static let chunkRows = 65_536

    /// Merges `shards` into `output` (`.npy` or `.safetensors`); returns warnings (shards
    /// computed with different BLAS kernels, whose last bits may differ from a one-machine run).
    @discardableResult
    public static func merge(_ shards: [URL], into output: URL) throws -> [String] {
        guard ArrayFileWriter.formats.contains(output.pathExtension.lowercased()) else {
            throw ShardMergeError("\(output.path): the merged file must be .npy or .safetensors")
        }
        guard !shards.isEmpty else { throw ShardMergeError("no shard files given") }
        let parts = try shards.map { url -> (url: URL, reader: ArrayFileReader, info: SampleFileMetadata) in
            guard ArrayFileWriter.formats.contains(url.pathExtension.lowercased()) else {
                throw ShardMergeError("\(url.path): wrong format; shards are .npy or .safetensors files from `scorekit sample --shard`")
            }
            let reader = try ArrayFileReader(url: url)
            return (url, reader, try SampleFileMetadata.read(of: url, reader: reader))
        }
        let first = parts[0]
        for p in parts {
            try agree(p.info, p.reader.shape, with: first.info, first.reader.shape, file: p.url.path, reference: first.url.path)
        }
        let ordered = parts.sorted { ($0.info.indices.lowerBound, $0.info.shard.index) < ($1.info.indices.lowerBound, $1.info.shard.index) }
        try checkTiling(ordered.map { ($0.url.path, $0.info) }, count: first.info.count)
        let kernels = Set(parts.map(\.info.blasKernel)).sorted()
        var merged = first.info
        merged.shard = try Shard(1, of: 1)
        merged.indices = 0..<merged.count
        merged.blasKernel = kernels.joined(separator: ",")
        let writer = try ArrayFileWriter(url: output, shape: [merged.count] + first.reader.shape.dropFirst(),
                                         metadata: merged.dictionary)
        for p in ordered {
            var row = 0
            while row < p.reader.shape[0] {
                let rows = row..<min(row + chunkRows, p.reader.shape[0])
                try writer.write(try p.reader.bytes(ofRows: rows), atRow: p.info.indices.lowerBound + rows.lowerBound)
                row = rows.upperBound
            }
        }
        try writer.commit()
        guard kernels.count > 1 else { return [] }
        let list = parts.map { "\($0.url.lastPathComponent): \($0.info.blasKernel)" }.joined(separator: ", ")
        return ["shards came from different BLAS kernels (\(list)); the merged samples may differ in the last bits from a one-machine run"]
    }

    private static func agree(_ a: SampleFileMetadata, _ shapeA: [Int], with b: SampleFileMetadata, _ shapeB: [Int],
                              file: String, reference: String) throws {
        func check(_ what: String, _ x: String, _ y: String) throws {
            guard x == y else { throw ShardMergeError("\(file) has \(what) \(x), but \(reference) has \(what) \(y): not shards of one run") }
        }
        try check("model", a.model, b.model)
        try check("sampler", a.sampler, b.sampler)
        try check("seed", String(a.seed), String(b.seed))
        try check("count", String(a.count), String(b.count))
        try check("shard count", String(a.shard.count), String(b.shard.count))
        try check("sample shape", "\(Array(shapeA.dropFirst()))", "\(Array(shapeB.dropFirst()))")
        guard shapeA[0] == a.indices.count else {
            throw ShardMergeError("\(file) holds \(shapeA[0]) samples but its metadata says indices \(a.indices) (\(a.indices.count))")
        }
        let expected = a.shard.range(of: a.count)
        guard a.indices == expected else {
            throw ShardMergeError("\(file) is shard \(a.shard) but holds indices \(a.indices); shard \(a.shard) of \(a.count) is \(expected)")
        }
    }

    /// Ranges sorted by start must follow each other exactly from 0 to `count`.
    private static func checkTiling(_ parts: [(path: String, info: SampleFileMetadata)], count: Int) throws {
        var end = 0, previous: String?
        for (path, info) in parts {
            let r = info.indices
            if let previous, let before = parts.first(where: { $0.path == previous }), before.info.shard == info.shard {
                throw ShardMergeError("\(path) and \(previous) both hold shard \(info.shard) (samples \(r)): a duplicate shard overlaps itself")
            }
            if r.lowerBound < end {
                throw ShardMergeError("\(path) (samples \(r)) overlaps \(previous ?? "an earlier shard") (samples up to \(end))")
            }
            if r.lowerBound > end {
                let after = previous.map { "after \($0)" } ?? "before \(path)"
                throw ShardMergeError("gap: samples \(end)..<\(r.lowerBound) are in no shard (\(after)); add the missing shard")
            }
            end = r.upperBound
            previous = path
        }
        if end < count {
            throw ShardMergeError("gap: samples \(end)..<\(count) are in no shard (after \(previous ?? "")); add the missing shard")
        }
    }
}

/// Why shards cannot be merged: one line naming the file and the problem.
public struct ShardMergeError: Error, Equatable, CustomStringConvertible {
    /// The message.
    public let description: String
    init(_ message: String) { description = message }
}
