import Foundation
import Testing
import ScoreKitCore

/// Files written a batch at a time, and shards of a run.
@Suite("streaming array files and shards")
struct StreamingFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let tensor = Tensor(shape: [7, 3], scalars: (0..<21).map { Float($0) * 0.5 - 3 })

    @Test("rows written out of order give the bytes of the whole-array encoder", arguments: ["npy", "safetensors"])
    func outOfOrder(_ ext: String) throws {
        let url = try Self.folder().appendingPathComponent("x.\(ext)")
        let metadata = ["model": "m", "seed": "1"]
        let writer = try ArrayFileWriter(url: url, shape: [7, 3], metadata: metadata)
        #expect(!FileManager.default.fileExists(atPath: url.path))           // nothing under the real name yet
        try writer.receive(Self.tensor.gatherRows([5, 6]), at: [5, 6])
        try writer.receive(Self.tensor.gatherRows([0, 2, 4]), at: [0, 2, 4])
        try writer.receive(Self.tensor.gatherRows([3, 1]), at: [3, 1])
        try writer.commit()
        #expect(try Data(contentsOf: url) == ArrayFile.encode(Self.tensor, for: url, metadata: metadata))
        let reader = try ArrayFileReader(url: url)
        #expect(reader.shape == [7, 3] && (ext == "npy" || reader.metadata == metadata))
        #expect(try reader.bytes(ofRows: 2..<4) == Self.tensor.rows(2..<4).scalars.withUnsafeBytes { Data($0) })
    }

    @Test("a writer that is discarded, or missing rows, leaves no file at all")
    func noPartialFile() throws {
        let folder = try Self.folder()
        let url = folder.appendingPathComponent("x.npy")
        let writer = try ArrayFileWriter(url: url, shape: [7, 3])
        try writer.receive(Self.tensor.rows(0..<3), at: [0, 1, 2])
        #expect(throws: FileFormatError.self) { try writer.commit() }
        let other = try ArrayFileWriter(url: url, shape: [7, 3])
        other.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("shards tile the indices; the first count mod N are one longer")
    func shardRanges() throws {
        let ranges = try (1...3).map { try Shard($0, of: 3).range(of: 1000) }
        #expect(ranges == [0..<334, 334..<667, 667..<1000])
        #expect(try Shard(parsing: "2/8").range(of: 8) == 1..<2)
        #expect(try Shard(parsing: "2/2").owns(cell: 3) && !Shard(parsing: "1/2").owns(cell: 3))
    }

    @Test("bad --shard values name the value and what is expected", arguments: [
        ("0/3", "--shard 0/3: the shard number must be between 1 and 3"),
        ("4/3", "--shard 4/3: the shard number must be between 1 and 3"),
        ("1/0", "--shard 1/0: the shard count must be at least 1"),
        ("x", "--shard x: expected K/N with whole numbers"),
    ])
    func badShard(_ text: String, _ message: String) {
        #expect(throws: (any Error).self) { try Shard(parsing: text) }
        do { _ = try Shard(parsing: text) } catch { #expect(String(describing: error).hasPrefix(message), "\(error)") }
    }
}
