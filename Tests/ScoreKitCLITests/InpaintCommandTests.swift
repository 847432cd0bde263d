import Foundation
import Testing
import ScoreKit

/// `scorekit inpaint` and `scorekit sample --init-data/--sigma-start`: outputs keep the known
/// values, PNG in and out, and one clear line for every refusal with no output file left.
@Suite("scorekit inpaint and SDEdit")
struct InpaintCommandTests {
    /// Held-out digits and a lower-half mask in `folder`.
    static func digitFiles(in folder: URL, count: Int = 4) throws -> Tensor {
        let images = try DigitsData.load().heldOut.images.rows(0..<count)
        try ArrayFile.write(images, to: folder.appendingPathComponent("digits.npy"))
        try ArrayFile.write(images, to: folder.appendingPathComponent("digits.png"))
        var mask = Tensor(zeros: [1, 1, 8, 8])
        for i in 32..<64 { mask.scalars[i] = 1 }
        try ArrayFile.write(mask, to: folder.appendingPathComponent("mask.npy"))
        let png = GrayImageWriter.png(mask)
        try png.write(to: folder.appendingPathComponent("mask.png"))
        return images
    }

    @Test("the known half comes back to the bit, from .npy and from .png", arguments: ["npy", "png"])
    func keepsKnownValues(ext: String) throws {
        let folder = try CLI.temporaryFolder()
        let images = try Self.digitFiles(in: folder)
        let r = try CLI.run(["inpaint", "--model", "digits", "--data", "digits.\(ext)", "--mask", "mask.\(ext)",
                             "--sampler", "ddim", "--nfe", "10", "--resample", "1", "--out", "out.npy"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("NFE/sample  20"), "\(r.stdout)")
        let out = try ArrayFile.read(folder.appendingPathComponent("out.npy"))
        let expected = ext == "npy" ? images : try ArrayFile.read(folder.appendingPathComponent("digits.npy")).roundedToGrey()
        #expect(out.shape == [4, 1, 8, 8])
        for r in 0..<4 { for i in 32..<64 { #expect(out.scalars[r * 64 + i] == expected.scalars[r * 64 + i]) } }
        let png = try CLI.run(["inpaint", "--data", "digits.npy", "--mask", "mask.npy", "--nfe", "5", "--out", "out.png"], in: folder)
        #expect(png.status == 0, "\(png.stderr)")
        // Reconstruction guidance: same NFE, other completions, known half still exact.
        let guided = try CLI.run(["inpaint", "--data", "digits.\(ext)", "--mask", "mask.\(ext)", "--sampler", "ddim", "--nfe", "10",
                                  "--resample", "1", "--reconstruction", "4", "--out", "guided.npy"], in: folder)
        #expect(guided.status == 0, "\(guided.stderr)")
        #expect(guided.stdout.contains("NFE/sample  20") && guided.stdout.contains("reconstruction guidance 4.0"), "\(guided.stdout)")
        let steered = try ArrayFile.read(folder.appendingPathComponent("guided.npy"))
        #expect(steered != out)
        for r in 0..<4 { for i in 32..<64 { #expect(steered.scalars[r * 64 + i] == expected.scalars[r * 64 + i]) } }
    }

    @Test("sample --init-data: SDEdit from data; the NFE is the integration's plus one")
    func sdedit() throws {
        let folder = try CLI.temporaryFolder()
        try Data("5,5\n-5,-5\n5,-5\n".utf8).write(to: folder.appendingPathComponent("start.csv"))
        let r = try CLI.run(["sample", "--model", "gmm2d", "--sampler", "heun:steps=10", "--init-data", "start.csv",
                             "--sigma-start", "0.5", "--out", "out.csv"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("NFE/sample  19"), "\(r.stdout)")
        let out = try ArrayFile.read(folder.appendingPathComponent("out.csv"))
        #expect(out.shape == [3, 2])
        #expect(zip(out.scalars, [5, 5, -5, -5, 5, -5] as [Float]).allSatisfy { abs($0 - $1) < 2.5 })
    }

    static let inpaintCases: [([String], String)] = [
        (["--mask", "wide.npy"], "--mask wide.npy has shape [1, 65]; expected rows of 64 values"),
        (["--mask", "half.npy"], "--mask half.npy: row 0 (counting from 0) holds 0.5; a mask holds only 0 (generate) and 1 (known)"),
        (["--mask", "three.npy"], "--mask three.npy has 3 rows; expected 1 (one mask for every row) or 2"),
        (["--data", "wide.npy"], "--data wide.npy has shape [1, 65]; expected rows of 64 values"),
        (["--data", "nan.npy"], "--data nan.npy: row 1 (counting from 0) holds nan at a known position; data must be finite"),
        (["--data", "broken.png"], "broken.png is malformed: not a readable PNG: no PNG signature"),
        (["--mask", "grey.png"], "mask values must be 0 or 1"),
        (["--sampler", "dlg", "--resample", "1"], "--resample: dlg cannot redo a step"),
        (["--resample", "-1"], "--resample must be 0 or more, got -1"),
        (["--reconstruction", "-1"], "--reconstruction must be a finite number ≥ 0, got -1.0"),
        (["--reconstruction", "nan"], "--reconstruction must be a finite number ≥ 0, got nan"),
    ]

    @Test("inpaint: one clear line, non-zero exit, no output file", arguments: inpaintCases)
    func inpaintRejected(arguments: [String], message: String) throws {
        let folder = try Self.badFiles()
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let r = try CLI.run(["inpaint", "--data", "ok.npy", "--mask", "mask.npy", "--nfe", "4", "--out", "out.npy"] + arguments, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before)
    }

    static let sdeditCases: [([String], String)] = [
        (["--init-data", "start.csv"], "--init-data needs --sigma-start"),
        (["--sigma-start", "1"], "--sigma-start needs --init-data"),
        (["--init-data", "start.csv", "--sigma-start", "0"], "--sigma-start must be finite, above 0 and at most the model's σ_max"),
        (["--init-data", "start.csv", "--sigma-start", "1e9"], "--sigma-start must be finite, above 0 and at most the model's σ_max"),
        (["--init-data", "start.csv", "--sigma-start", "nan"], "--sigma-start must be finite"),
        (["--init-data", "start.csv", "--sigma-start", "1", "--sampler", "ddpm"], "--init-data: ddpm cannot start part-way down the noise scale; use one of: ddim,"),
        (["--init-data", "wide.csv", "--sigma-start", "1"], "--init-data wide.csv has shape [1, 3]; expected rows of 2 values"),
        (["--init-data", "start.csv", "--sigma-start", "1", "--count", "5"], "--init-data start.csv has 3 rows but --count is 5"),
    ]

    @Test("sample --init-data: one clear line, non-zero exit, no output file", arguments: sdeditCases)
    func sdeditRejected(arguments: [String], message: String) throws {
        let folder = try Self.badFiles()
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let r = try CLI.run(["sample", "--model", "gmm2d", "--sampler", "heun", "--out", "out.npy"] + arguments, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before)
    }

    static func badFiles() throws -> URL {
        let folder = try CLI.temporaryFolder()
        func write(_ t: Tensor, _ name: String) throws { try ArrayFile.write(t, to: folder.appendingPathComponent(name)) }
        let ok = try DigitsData.load().heldOut.images.rows(0..<2)
        try write(ok, "ok.npy")
        var mask = Tensor(zeros: [1, 64])
        for i in 32..<64 { mask.scalars[i] = 1 }
        try write(mask, "mask.npy")
        try write(Tensor(zeros: [1, 65]), "wide.npy")
        var half = mask
        half.scalars[3] = 0.5
        try write(half, "half.npy")
        try write(Tensor(zeros: [3, 64]), "three.npy")
        var nan = ok
        nan.scalars[64 + 40] = .nan
        try write(nan, "nan.npy")
        try Data("not a png".utf8).write(to: folder.appendingPathComponent("broken.png"))
        try GrayImageWriter.png(Tensor(repeating: 0.5, shape: [1, 1, 8, 8])).write(to: folder.appendingPathComponent("grey.png"))
        try Data("5,5\n-5,-5\n5,-5\n".utf8).write(to: folder.appendingPathComponent("start.csv"))
        try Data("1,2,3\n".utf8).write(to: folder.appendingPathComponent("wide.csv"))
        return folder
    }
}

/// A single-image PNG: values in 0…1 drawn black…white (how a mask is drawn).
enum GrayImageWriter {
    static func png(_ images: Tensor) -> Data {
        SamplePlot.grid(images.reshaped([images.rows, 1, 8, 8]), columns: 1, range: 0...1, zoom: 1).pngData()
    }
}

extension Tensor {
    /// The values a ScoreKit PNG grid keeps: the nearest of 256 levels of −1…1.
    func roundedToGrey() -> Tensor {
        var out = self
        let step: Float = 2 / 255
        out.scalars = scalars.map { (v: Float) -> Float in
            let level: Float = ((v + 1) / 2 * 255).rounded()
            let g: Float = max(0, min(255, level))
            return -1 + g * step
        }
        return out
    }
}
