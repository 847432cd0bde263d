import Foundation
import Testing
@testable import ScoreKitCore

@Suite("Array files")
struct FormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")
    /// The values the fixture script wrote: (arange(12) − 5.5)/4.
    static let values: [Float] = (0..<12).map { (Float($0) - 5.5) / 4 }
    let sample = Tensor(shape: [4, 3], scalars: Self.values)

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("reads files numpy and safetensors wrote", arguments: [
        ("f4.npy", [4, 3]), ("f8.npy", [2, 2, 3]), ("vector.npy", [12]), ("samples.safetensors", [6, 2]),
    ])
    func readsReferenceFiles(name: String, shape: [Int]) throws {
        let t = try ArrayFile.read(Self.fixtures.appendingPathComponent(name))
        #expect(t.shape == shape && t.scalars == Self.values)
    }

    @Test("safetensors: metadata, half and bfloat16 tensors")
    func safetensorsTypes() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("f16.safetensors"))
        let file = try Safetensors(data: data)
        #expect(try file.tensor("z").scalars == Self.values && file.tensor("z").shape == [3, 4])
        #expect(try file.tensor("w").scalars == Self.values)
        let numpyFile = try Safetensors(data: Data(contentsOf: Self.fixtures.appendingPathComponent("samples.safetensors")))
        #expect(numpyFile.metadata["written_by"] == "safetensors.numpy")
    }

    @Test("write then read gives the same array", arguments: ["npy", "csv", "safetensors"])
    func roundTrip(_ ext: String) throws {
        let url = try temporaryFolder().appendingPathComponent("x.\(ext)")
        try ArrayFile.write(sample, to: url)
        #expect(try ArrayFile.read(url) == sample)
    }

    @Test("CSV with and without a header, and its errors")
    func csv() throws {
        #expect(try CSV.decode(Data("1,2\n3,4\n".utf8)) == Tensor(rows: [[1, 2], [3, 4]]))
        #expect(try CSV.decode(Data("a,b\n1,2\n".utf8)) == Tensor(rows: [[1, 2]]))
        #expect(throws: FileFormatError.malformed("array", reason: "row 2 has 1 values; the first has 2")) {
            try CSV.decode(Data("1,2\n3\n".utf8))
        }
    }

    @Test("PNG: valid signature, chunk CRCs and zlib checksum")
    func png() throws {
        let image = SamplePlot.scatter(Tensor(rows: [[0, 0], [1, 1], [-2, 3]]), size: 64)
        let bytes = [UInt8](image.pngData())
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8, types: [String] = []
        while offset < bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let typed = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let stored = bytes[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(crc32(typed) == stored)
            types.append(String(decoding: typed.prefix(4), as: UTF8.self))
            offset += 12 + length
        }
        #expect(types == ["IHDR", "IDAT", "IEND"])
        // 64 rows of a filter byte and 64 RGB pixels, in stored deflate blocks.
        #expect(image.pixels.count == 64 * 64 * 3)
        let grid = SamplePlot.grid(Tensor(zeros: [3, 1, 8, 8]), columns: 2, zoom: 2)
        #expect(grid.width == 2 * 17 + 1 && grid.height == 2 * 17 + 1)
    }

    static let brokenFiles: [([UInt8], String)] = {
        let zeros = { (n: Int) in [UInt8](repeating: 0, count: n) }
        var cases: [([UInt8], String)] = []
        cases.append(([], "shorter than the 8-byte header length"))
        cases.append(([255, 255, 255, 255, 255, 255, 255, 0] + zeros(8),
                      "header length 72057594037927935 exceeds the file's 8 remaining bytes"))
        cases.append((header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#) + zeros(4),
                      "tensor 'a' ends at byte 8, past the data section's 4 bytes"))
        cases.append((header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#) + zeros(6),
                      "tensor 'b' overlaps the tensor before it"))
        cases.append((header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#) + zeros(8),
                      "gap of 4 bytes before tensor 'a'"))
        cases.append((header(#"{"a":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}"#) + zeros(1),
                      "tensor 'a' has unknown dtype Q8; known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL"))
        cases.append((header(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#) + zeros(8),
                      "tensor 'a': shape [3] of F32 needs 12 bytes, offsets span 8"))
        cases.append((header("not json"), "header is not a JSON object"))
        return cases
    }()

    @Test("broken files get clear errors, never a crash", arguments: brokenFiles)
    func brokenSafetensors(bytes: [UInt8], reason: String) {
        #expect(throws: FileFormatError.malformed("f", reason: reason)) { try Safetensors(data: Data(bytes), path: "f") }
    }

    @Test("non-finite values are refused on load")
    func nanWeights() throws {
        var t = sample
        t.scalars[5] = .nan
        let file = try Safetensors(data: Safetensors.encode([("w", t)]), path: "f")
        #expect(throws: FileFormatError.malformed("f", reason: "tensor 'w' holds a non-finite value at element 5")) { try file.tensor("w") }
    }

    @Test("atomic writes: nothing left behind on failure, no temporary files on success")
    func atomicWrites() throws {
        let folder = try temporaryFolder()
        let missing = folder.appendingPathComponent("no/such/folder/x.npy")
        #expect(throws: FileFormatError.self) { try ArrayFile.write(sample, to: missing) }
        #expect(throws: FileFormatError.unsupportedExtension(folder.appendingPathComponent("x.txt").path, valid: ArrayFile.writable)) {
            try ArrayFile.write(sample, to: folder.appendingPathComponent("x.txt"))
        }
        try ArrayFile.write(sample, to: folder.appendingPathComponent("x.npy"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["x.npy"])
    }
}

/// A safetensors file's first bytes: the header length and the header.
func header(_ json: String) -> [UInt8] {
    let body = Array(json.utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(body.count) >> (8 * $0)) } + body
}
