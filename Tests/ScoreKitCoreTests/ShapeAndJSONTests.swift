import Foundation
import Testing
@testable import ScoreKitCore

/// Shapes and JSON from files: checked arithmetic and reasons that name the problem.
@Suite("Shape and JSON checks")
struct ShapeAndJSONTests {
    @Test("shape products are overflow-checked and entries range-checked")
    func shapes() throws {
        #expect(try ShapeCheck.count([2, 3, 4]) == 24)
        #expect(try ShapeCheck.count([0, 3], minimumEntry: 0) == 0)
        #expect(ShapeCheck.product([Int.max, 2]) == nil && ShapeCheck.product([]) == 1)
        #expect(throws: ShapeProblem.empty) { try ShapeCheck.count([]) }
        #expect(throws: ShapeProblem.entryTooSmall(shape: [3, 0], index: 1, minimum: 1)) { try ShapeCheck.count([3, 0]) }
        #expect(throws: ShapeProblem.tooLarge(shape: [65536, 65536, 65536, 65536], limit: 1 << 24)) {
            try ShapeCheck.count([65536, 65536, 65536, 65536], limit: 1 << 24)
        }
        #expect(ShapeProblem.entryTooSmall(shape: [-8, 2], index: 0, minimum: 0).description
                == "shape [-8, 2] is invalid: entry 0 is -8 (a negative dimension); every dimension must be non-negative")
        #expect(ShapeProblem.tooLarge(shape: [4096, 4096, 2], limit: 1 << 24).description
                == "shape [4096, 4096, 2] holds 33554432 values, more than the limit of 16777216")
    }

    @Test("the JSON reader parses what Foundation does and names what it refuses")
    func reader() throws {
        let text = #"{"a":[1,-2.5e3,0],"b":{"c":"x\n\u00e9\ud83d\ude00","d":[true,null,[]]},"e":-0.0}"#
        let value = try JSONReader.parse(Data(text.utf8))
        guard case let .numbers(a)? = value["a"], case let .string(c)? = value["b"]?["c"] else { Issue.record("shape of \(value)"); return }
        #expect(a == [1, -2500, 0] && c == "x\né😀")
        let refusals: [(String, String)] = [
            ("[1,]", "unexpected character ']' at byte 3"),
            (#"{"a":1,"a":2}"#, "duplicate key 'a' at byte 7"),
            ("[01]", "a number has a leading zero at byte 1"),
            ("[1e999]", "number 1e999 is out of range (beyond ±1.8e308) at byte 1"),
            ("[NaN]", "unexpected character 'N' at byte 1"),
            ("[1] x", "unexpected text after the JSON value at byte 4"),
            ("\"a\tb\"", "control character in a string at byte 2"),
            (String(repeating: "[", count: 513), "nested too deeply (more than 512 levels of arrays and objects) at byte 512"),
            ("", "the text ends where a value should be at byte 0"),
        ]
        for (input, reason) in refusals {
            #expect(throws: JSONProblem(reason: reason), "\(input.prefix(20))") { try JSONReader.parse(Data(input.utf8)) }
        }
        #expect(JSONCheck.problem(Data(String(repeating: "[", count: 512).appending(String(repeating: "]", count: 512)).utf8)) == nil)
    }

    @Test(".npy headers with negative or non-integer dimensions are refused as invalid shapes")
    func npyShapes() throws {
        func file(_ shape: String) -> Data {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0])
            data.append(contentsOf: Array(header.utf8) + Array(repeating: 0, count: 16))
            return data
        }
        #expect(throws: FileFormatError.malformed("x.npy", reason: "header shape [-8, 2] is invalid: entry 0 is -8 (a negative dimension); every dimension must be non-negative")) {
            try NPY.decode(file("(-8, 2)"), path: "x.npy")
        }
        #expect(throws: FileFormatError.malformed("x.npy", reason: "header shape (2.5, 2) is invalid: '2.5' is not an integer")) {
            try NPY.decode(file("(2.5, 2)"), path: "x.npy")
        }
        #expect(throws: FileFormatError.malformed("x.npy", reason: "header shape [4611686018427387904, 4] is invalid: its number of values overflows 64-bit arithmetic (the limit is 1099511627776)")) {
            try NPY.decode(file("(4611686018427387904, 4)"), path: "x.npy")
        }
        #expect(try NPY.decode(file("(2, 2)"), path: "x.npy").shape == [2, 2])
    }
}
