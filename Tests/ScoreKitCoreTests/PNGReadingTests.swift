import Foundation
import Testing
@testable import ScoreKitCore

/// The PNG reader: zlib-compressed images from Python's zlib (scripts/fixtures_png.py: dynamic
/// and fixed Huffman codes, all five scanline filters, grey/grey+alpha/RGB/RGBA), ScoreKit's own
/// grids read back to the values written, and clear refusals of broken files.
@Suite("PNG reading")
struct PNGReadingTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats/png")

    struct Expected: Decodable { let width: Int, height: Int, levels: [Int] }
    struct Stream: Decodable { let zlib: String, length: Int, sum: Int, head: [Int] }

    static func expected() throws -> [String: Expected] {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        object["inflate"] = nil
        return try JSONDecoder().decode([String: Expected].self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test("images compressed by zlib decode to the levels the script wrote",
          arguments: ["grey_dynamic.png", "grey_fixed.png", "rgb_dynamic.png", "rgba_fixed.png", "grey_alpha.png"])
    func fixtures(name: String) throws {
        let want = try #require(try Self.expected()[name])
        let image = try GrayImage(contentsOf: Self.folder.appendingPathComponent(name))
        #expect(image.width == want.width && image.height == want.height)
        #expect(image.pixels.map(Int.init) == want.levels)
    }

    @Test func inflatesALongStream() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))) as! [String: Any]
        let stream = try JSONDecoder().decode(Stream.self, from: JSONSerialization.data(withJSONObject: object["inflate"]!))
        let bytes = stride(from: 0, to: stream.zlib.count, by: 2).map { k -> UInt8 in
            let i = stream.zlib.index(stream.zlib.startIndex, offsetBy: k)
            return UInt8(stream.zlib[i...stream.zlib.index(after: i)], radix: 16)!
        }
        let out = try Inflate.zlib(bytes)
        #expect(out.count == stream.length)
        #expect(out.reduce(0) { $0 + Int($1) } == stream.sum)
        #expect(out.prefix(16).map(Int.init) == stream.head)
        var corrupt = bytes
        corrupt[corrupt.count - 1] ^= 1
        #expect(throws: Inflate.Failure.self) { _ = try Inflate.zlib(corrupt) }
    }

    /// Values on the 256-level grid of −1…1 survive a ScoreKit grid (13 images: the blank
    /// cells of the last row are dropped) and a single image of the sample's size.
    @Test func scoreKitGridsReadBackToTheirValues() throws {
        let levels: [Float] = (0..<(13 * 64)).map { (k: Int) -> Float in Float((k * 37 + k / 64) % 256) }
        let step: Float = 2 / 255
        let values = Tensor(shape: [13, 1, 8, 8], scalars: levels.map { (g: Float) -> Float in -1 + g * step })
        for zoom in [1, 4] {
            let png = SamplePlot.grid(values, zoom: zoom).pngData()
            let read = try GrayImage(png: png, path: "grid.png").samples(shape: [1, 8, 8], path: "grid.png")
            #expect(read == values, "zoom \(zoom)")
        }
        let one = SamplePlot.grid(values.rows(0..<1), zoom: 1).pngData()
        #expect(try GrayImage(png: one, path: "one.png").samples(shape: [1, 8, 8], path: "one.png") == values.rows(0..<1))
    }

    @Test func masksAreBlackAndWhite() throws {
        let image = GrayImage(width: 8, height: 8, pixels: (0..<64).map { $0 < 32 ? 0 : 255 })
        let mask = try image.mask(shape: [1, 8, 8], path: "m.png")
        #expect(mask.scalars == (0..<64).map { $0 < 32 ? 0 : 1 })
        let grey = GrayImage(width: 8, height: 8, pixels: Array(repeating: 128, count: 64))
        #expect(throws: FileFormatError.self) { _ = try grey.mask(shape: [1, 8, 8], path: "m.png") }
    }

    @Test func refusesBrokenFiles() throws {
        let good = try Data(contentsOf: Self.folder.appendingPathComponent("grey_dynamic.png"))
        var badCRC = good
        badCRC[20] ^= 0xFF
        for data in [Data("not a png".utf8), good.prefix(40), badCRC] {
            #expect(throws: FileFormatError.self) { _ = try GrayImage(png: data, path: "x.png") }
        }
        let image = try GrayImage(png: good, path: "x.png")
        #expect(throws: FileFormatError.self) { _ = try image.samples(shape: [1, 5, 5], path: "x.png") }
        #expect(throws: FileFormatError.self) { _ = try image.samples(shape: [2], path: "x.png") }
    }
}
