import Foundation
import Testing
@testable import ScoreKitCore

/// The checkpoint reader validates before use: every broken file is a clear `FileFormatError`,
/// never a crash.
@Suite("Checkpoint files")
struct CheckpointTests {
    static let config = Data(#"{"format":"scorekit-model","version":1}"#.utf8)

    /// A valid checkpoint with two tensors.
    static func valid() throws -> Data {
        try Checkpoint(config: config, tensors: [
            ("denoiser.w", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
            ("denoiser.b", Tensor(shape: [3], scalars: [0.5, -0.5, 0.25])),
        ]).encoded()
    }

    /// A file with the given header text and data bytes.
    static func raw(_ header: String, _ data: [UInt8] = []) -> Data {
        let h = Array(header.utf8)
        return Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * $0)) } + h + data)
    }

    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0) { Array($0) } } }
    static let meta = #""__metadata__":{"config":"{}"}"#

    @Test func roundTrip() throws {
        let c = try Checkpoint(data: try Self.valid())
        #expect(c.names == ["denoiser.w", "denoiser.b"])
        #expect(c.tensors["denoiser.w"] == Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(String(decoding: c.config, as: UTF8.self) == String(decoding: Self.config, as: UTF8.self))
        let group = try c.group("denoiser.", expecting: [("b", [3]), ("w", [2, 3])])
        #expect(group.map(\.shape) == [[3], [2, 3]])
    }

    /// (description, bytes, a phrase the error must contain).
    static let corpus: [(String, Data, String)] = {
        let good = try! valid()
        let two = floats([1, 2])
        return [
            ("empty", Data(), "shorter than"),
            ("seven bytes", Data([1, 0, 0, 0, 0, 0, 0]), "shorter than"),
            ("truncated data", good.prefix(good.count - 5), "past the data section"),
            ("truncated header", good.prefix(20), "exceeds the file"),
            ("huge header length", Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + good.dropFirst(8), "exceeds the file"),
            ("header not JSON", raw("{not json at all}"), "header is not valid JSON: expected a key in quotes at byte 1"),
            ("header a JSON array", raw("[1, 2, 3]"), "not a JSON object"),
            ("deeply nested header", raw(String(repeating: "{\"a\":", count: 5000) + "1" + String(repeating: "}", count: 5000)), "nests deeper"),
            ("offsets past the end", raw("{\(meta),\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", two), "past the data section"),
            ("overlapping ranges", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", two), "overlaps"),
            ("gap before a tensor", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", two), "gap of 4 bytes"),
            ("bytes after the last tensor", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", two), "not indexed"),
            ("wrong dtype", raw("{\(meta),\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", two), "weights must be F32"),
            ("unknown dtype", raw("{\(meta),\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,8]}}", two), "unknown dtype"),
            ("element count mismatch", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", two), "needs 12 bytes"),
            ("negative shape", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", two), "bad shape"),
            ("impossible shape", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", two), "impossibly large"),
            ("missing offsets", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", two), "bad data_offsets"),
            ("NaN weights", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", floats([1, .nan])), "non-finite value at element 1"),
            ("infinite weights", raw("{\(meta),\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", floats([.infinity, 1])), "non-finite value at element 0"),
            ("no config", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", two), "not a ScoreKit checkpoint"),
            ("config not JSON", raw("{\"__metadata__\":{\"config\":\"[oops\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", two), "config is not valid JSON: unexpected character 'o' at byte 1"),
            ("metadata not strings", raw("{\"__metadata__\":{\"config\":3}}"), "is not a string"),
        ]
    }()

    @Test func brokenFilesGiveClearErrors() {
        for (what, bytes, phrase) in Self.corpus {
            do {
                _ = try Checkpoint(data: bytes, path: "broken.safetensors")
                Issue.record("\(what): accepted")
            } catch let error as FileFormatError {
                #expect(error.description.contains(phrase), "\(what): \(error)")
                #expect(error.description.hasPrefix("broken.safetensors"), "\(what): \(error)")
            } catch {
                Issue.record("\(what): unexpected error type \(error)")
            }
        }
    }

    @Test func groupsAreCheckedAgainstTheExpectedShapes() throws {
        let c = try Checkpoint(data: try Self.valid(), path: "c.safetensors")
        #expect(throws: FileFormatError.malformed("c.safetensors", reason: "missing tensor 'denoiser.bias' (shape [3]) that the config's network needs")) {
            try c.group("denoiser.", expecting: [("w", [2, 3]), ("b", [3]), ("bias", [3])])
        }
        #expect(throws: FileFormatError.malformed("c.safetensors", reason: "tensor 'denoiser.w' has shape [2, 3]; the config implies [3, 2]")) {
            try c.group("denoiser.", expecting: [("w", [3, 2]), ("b", [3])])
        }
        #expect(throws: FileFormatError.malformed("c.safetensors", reason: "unexpected tensor 'denoiser.w': the config's network has no such parameter")) {
            try c.group("denoiser.", expecting: [("b", [3])])
        }
    }

    /// 10,000 seeded mutations of a valid file — bit flips, random bytes, special values in the
    /// header length, truncations, insertions and deletions, and edits of the header's digits
    /// and quotes. Each must parse or fail with a `FileFormatError`; a file that parses must hold
    /// only finite values of the shapes it declares.
    @Test func mutationFuzz() throws {
        let original = [UInt8](try Self.valid())
        let headerLength = Int(original[0]) | Int(original[1]) << 8
        let streams = RandomStreams(seed: 2024)
        var accepted = 0, rejected = 0
        for trial in 0..<10_000 {
            var bytes = original
            var block = 0
            func uniform() -> Double {
                defer { block += 1 }
                return streams.uniforms(stream: 7, sample: trial, block: block)[0]
            }
            func index(_ n: Int) -> Int { min(Int(uniform() * Double(n)), n - 1) }
            for _ in 0..<(1 + index(3)) {
                guard !bytes.isEmpty else { break }
                switch index(8) {
                case 0: bytes[index(bytes.count)] ^= UInt8(1 << index(8))
                case 1: bytes[index(bytes.count)] = UInt8(index(256))
                case 2:   // special header lengths
                    let values: [UInt64] = [0, 1, UInt64(bytes.count), UInt64(max(bytes.count - 7, 0)), UInt64(headerLength + 1),
                                            UInt64(headerLength - 1), .max, 1 << 32, 100_000_001]
                    let v = values[index(values.count)]
                    for k in 0..<min(8, bytes.count) { bytes[k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
                case 3: bytes = Array(bytes.prefix(index(bytes.count)))
                case 4: bytes.insert(UInt8(index(256)), at: index(bytes.count))
                case 5: bytes.remove(at: index(bytes.count))
                case 6:   // a digit of the header becomes another character
                    let digits = (8..<max(8, min(8 + headerLength, bytes.count))).filter { (48...57).contains(bytes[$0]) }
                    if !digits.isEmpty {
                        let choices = Array("0123456789-.e\"]}, ".utf8)
                        bytes[digits[index(digits.count)]] = choices[index(choices.count)]
                    }
                default:  // a data byte of a float's exponent: may make NaN or infinity
                    if bytes.count > 8 + headerLength { bytes[8 + headerLength + index(bytes.count - 8 - headerLength)] |= 0x7F }
                }
            }
            do {
                let c = try Checkpoint(data: Data(bytes), path: "fuzz")
                for (name, t) in c.tensors {
                    #expect(t.isFinite, "trial \(trial): \(name) not finite")
                    #expect(t.count == t.shape.reduce(1, *))
                }
                accepted += 1
            } catch is FileFormatError {
                rejected += 1
            } catch {
                Issue.record("trial \(trial): unexpected error \(error)")
            }
        }
        print("checkpoint fuzz: \(accepted) mutated files accepted, \(rejected) rejected with a FileFormatError")
        #expect(accepted + rejected == 10_000)
        #expect(rejected > 5_000)
    }

    @Test func halfPrecisionRoundsToNearest() throws {
        // Every half value converts back exactly; values between two halves go to the nearer.
        for h in UInt16(0)...UInt16(0x7BFF) {
            let f = halfToFloat(h)
            #expect(floatToHalf(f) == h && floatToHalf(-f) == h | 0x8000)
        }
        #expect(floatToHalf(1 + 1.0 / 4096) == 0x3C00)            // below the midpoint of 1 and 1 + 2⁻¹⁰
        #expect(floatToHalf(1 + 3.0 / 4096) == 0x3C01)            // above it
        #expect(floatToHalf(1 + 1.0 / 2048) == 0x3C00)            // a tie goes to the even neighbour
        #expect(floatToHalf(70000) == 0x7C00)                     // overflow: ∞
        let c = Checkpoint(config: Self.config, tensors: [("w", Tensor(shape: [3], scalars: [0.1, -2.5, 1e-3]))])
        let read = try Checkpoint(data: try c.encoded(dtype: .F16))
        for (a, b) in zip(read.tensors["w"]!.scalars, [Float(0.1), -2.5, 1e-3]) { #expect(abs(a - b) <= abs(b) / 2048) }
    }
}
