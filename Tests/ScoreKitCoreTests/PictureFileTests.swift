import Foundation
import ScoreKitTestSupport
import Testing
@testable import ScoreKitCore

@Suite("Picture files: APNG, deflate, figure grids")
struct PictureFileTests {
    /// A `w × h` image with a coloured square whose place depends on `k`.
    static func frame(_ k: Int, width w: Int = 40, height h: Int = 30) -> RGBImage {
        var image = RGBImage(width: w, height: h)
        image.fill(x: 3 * k, y: 2 * k, width: 8, height: 8, colour: (UInt8(40 * k), 90, 170))
        return image
    }

    @Test("An APNG reads back: signature, CRCs, acTL frame count, consecutive fcTL/fdAT sequence numbers, whole frames",
          arguments: [false, true])
    func animatedPNG(compressed: Bool) throws {
        let frames = (0..<5).map { Self.frame($0) }
        let png = try PNGChunks(AnimatedPNG.data(frames: frames, fps: 4, compressed: compressed))
        #expect(png.size.width == 40 && png.size.height == 30)
        #expect(try checkedAPNGFrames(png) == 5)
        #expect(PNGChunks.uint32(png.all("acTL")[0].data, 4) == 0, "loops forever")
        let control = png.all("fcTL")[2].data
        #expect(Array(control[20..<24]) == [0, 250, 0x03, 0xE8], "4 fps: 250/1000 s")
        let pixels = [png.all("IDAT").flatMap(\.data)] + png.all("fdAT").map { Array($0.data.dropFirst(4)) }
        for (k, stream) in pixels.enumerated() {
            #expect(try PNGChunks.inflate(stream) == frames[k].scanlines(), "frame \(k)")
        }
        #expect(png.chunks.first?.type == "IHDR" && png.chunks.last?.type == "IEND")
    }

    @Test("Deflated PNGs inflate to the scanlines and are much smaller for flat figures")
    func deflate() throws {
        var noisy = RGBImage(width: 37, height: 23)
        var state: UInt32 = 12_345
        for i in noisy.pixels.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            noisy.pixels[i] = UInt8(state >> 24) & (i % 7 == 0 ? 0xFF : 0xF0)
        }
        for image in [noisy, Self.frame(2, width: 300, height: 200), RGBImage(width: 1, height: 1)] {
            let png = try PNGChunks(image.pngData(compressed: true))
            #expect(try PNGChunks.inflate(png.all("IDAT").flatMap(\.data)) == image.scanlines())
        }
        let flat = Self.frame(2, width: 300, height: 200)
        #expect(flat.pngData(compressed: true).count * 20 < flat.pngData().count)
    }

    @Test("A figure grid is as wide as its columns and as high as its rows, panels pasted under their titles")
    func gridLayout() {
        var panel = RGBImage(width: 50, height: 40)
        panel.fill(x: 0, y: 0, width: 50, height: 40, colour: (10, 200, 10))
        let grid = FigureGrid(rows: [[.init(panel, title: "a"), .init(panel, title: "b"), .init(nil, title: "c")]])
        let image = grid.image()
        // No labels, no caption: 6 + 3 columns of (50 + 14); one row of title (7·2 + 6), panel 40, gap 6.
        #expect(image.width == 6 + 3 * 64 && image.height == 6 + 14 + 6 + 40 + 6)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[(3 * (y * image.width + x))..<(3 * (y * image.width + x) + 3)]) }
        #expect(pixel(6 + 64 + 10, 26 + 10) == [10, 200, 10], "second panel")
        #expect(pixel(6 + 128 + 10, 26 + 10) == [225, 225, 225], "an empty cell is grey")
        #expect((0..<14).contains { y in (6..<16).contains { x in pixel(x, 6 + y) == [40, 40, 40] } }, "the title is drawn")
        #expect(FigureGrid(rows: [[.init(panel, title: String(repeating: "w", count: 20))]]).cellWidth == (20 * 6 - 1) * 2)
    }

    @Test("Glyphs: every digit differs, lower case draws as capitals, unknown characters as ?")
    func font() {
        let digits = (0...9).map { BitmapFont.glyph(Character(String($0))) }
        #expect(Set(digits.map { $0.map(String.init).joined(separator: ",") }).count == 10)
        #expect(BitmapFont.glyph("s") == BitmapFont.glyph("S"))
        #expect(BitmapFont.glyph("€") == BitmapFont.glyph("?"))
        #expect(BitmapFont.glyph("σ") != BitmapFont.glyph("?"))
        #expect(BitmapFont.textWidth("step 1", scale: 2) == (6 * 6 - 1) * 2)
    }

    @Test("Evenly spaced states include the first and last")
    func evenlySpaced() {
        #expect(TrajectoryCapture.evenlySpaced(5, of: 21) == [0, 5, 10, 15, 20])
        #expect(TrajectoryCapture.evenlySpaced(10, of: 4) == [0, 1, 2, 3])
        let picked = TrajectoryCapture.evenlySpaced(10, of: 51)
        #expect(picked.count == 10 && picked.first == 0 && picked.last == 50)
    }

    @Test("The forward process: clean data first, then x0 + σ·z at each σ")
    func forward() {
        let x0 = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), z = Tensor(shape: [2, 2], scalars: [1, -1, 0.5, 2])
        let frames = ForwardProcess.frames(data: x0, noise: z, sigmas: [0.5, 2])
        #expect(frames.map(\.sigma) == [0, 0.5, 2])
        #expect(frames[2].x.scalars == [3, 0, 4, 8])
        let scaled = TrajectoryFigure(kind: .scatter(bounds: -1...1)).shown(frames[2].x, sigma: 2)
        #expect(abs(scaled.scalars[0] - 3 / Float(5).squareRoot()) < 1e-6, "VP view: x/√(1+σ²)")
    }
}
