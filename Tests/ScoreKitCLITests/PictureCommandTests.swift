import Foundation
import ScoreKitTestSupport
import Testing

@Suite("scorekit pictures: sample --trajectory, forward, compare's trajectory figures")
struct PictureCommandTests {
    static func png(_ folder: URL, _ name: String) throws -> PNGChunks {
        try PNGChunks(try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    @Test("gmm2d: a .png strip of --frames panels (twice as high with --trajectory-denoised) and an .apng of --frames frames")
    func gmm2d() throws {
        let folder = try CLI.temporaryFolder()
        let base = ["sample", "--model", "gmm2d", "--sampler", "heun", "--nfe", "19", "--count", "300", "--out", "s.npy"]
        for (file, extra) in [("t5.png", ["--frames", "5"]), ("t9.png", ["--frames", "9"]), ("td.png", ["--frames", "5", "--trajectory-denoised"]),
                              ("t.apng", ["--frames", "7", "--fps", "5"])] {
            let r = try CLI.run(base + ["--trajectory", file] + extra, in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let (five, nine, denoised) = (try Self.png(folder, "t5.png"), try Self.png(folder, "t9.png"), try Self.png(folder, "td.png"))
        #expect(five.all("acTL").isEmpty && five.size.height == nine.size.height)
        // K panels of one width each (the widest title or panel, ≥ 200, plus a 14-pixel gap) and a 6-pixel margin.
        #expect((five.size.width - 6) % 5 == 0 && (five.size.width - 6) / 5 >= 214)
        #expect((nine.size.width - 6) % 9 == 0 && (nine.size.width - 6) / 9 >= 214)
        #expect(denoised.size.height > 2 * five.size.height - 40)
        let animation = try Self.png(folder, "t.apng")
        #expect(try checkedAPNGFrames(animation) == 7)
        #expect(Array(animation.all("fcTL")[0].data[20..<24]) == [0, 200, 0x03, 0xE8], "5 fps")
    }

    @Test("digits: a grid (rows samples, columns states) as .png and .apng")
    func digits() throws {
        let folder = try CLI.temporaryFolder()
        let base = ["sample", "--model", "digits", "--sampler", "ddim", "--nfe", "10", "--count", "6", "--out", "d.npy"]
        var r = try CLI.run(base + ["--trajectory", "d.png", "--frames", "4", "--trajectory-rows", "3"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(base + ["--trajectory", "d.apng", "--frames", "4", "--trajectory-rows", "3", "--trajectory-denoised"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        let strip = try Self.png(folder, "d.png"), animation = try Self.png(folder, "d.apng")
        // 3 images of 8·5 + 1 pixels (plus the grid's edge) stacked in each panel.
        #expect(strip.size.height >= 3 * 41 && strip.size.height < 3 * 41 + 60)
        #expect(try checkedAPNGFrames(animation) == 4)
        #expect(animation.size.height >= 6 * 41, "denoised rows under each sample")
    }

    @Test("scurve: the tutorial's DDPM (T = 100, sigmoid β) as a strip and an animation, and its forward process")
    func scurve() throws {
        let folder = try CLI.temporaryFolder()
        let ddpm = "ddpm:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005"
        let base = ["sample", "--model", "scurve", "--sampler", ddpm, "--count", "200", "--out", "s.npy"]
        var r = try CLI.run(base + ["--trajectory", "t.png", "--frames", "6"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(base + ["--trajectory", "t.apng", "--frames", "101"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try Self.png(folder, "t.png").size.width - 6) % 6 == 0)
        #expect(try checkedAPNGFrames(try Self.png(folder, "t.apng")) == 101, "one frame per state: 100 steps and the start")
        r = try CLI.run(["forward", "--model", "scurve", "--out", "f.png", "--frames", "5",
                         "--schedule", "discrete:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005"], in: folder)
        #expect(r.status == 0 && r.stdout.contains("betas=sigmoid,beta_start=1e-05,beta_end=0.005"), "\(r.stdout)\(r.stderr)")
    }

    @Test("More frames than states: all the states, with a note")
    func clampedFrames() throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(["sample", "--model", "gmm2d", "--sampler", "ddim", "--nfe", "3", "--count", "10", "--out", "s.npy",
                             "--trajectory", "t.apng", "--frames", "50"], in: folder)
        #expect(r.status == 0 && r.stderr.contains("only 4 states"), "\(r.stderr)")
        #expect(try checkedAPNGFrames(try Self.png(folder, "t.apng")) == 4)
    }

    @Test("forward: gmm2d and a trained 2-D model, .png and .apng; the caption's schedule resolved")
    func forward() throws {
        let folder = try CLI.temporaryFolder()
        var r = try CLI.run(["forward", "--model", "gmm2d", "--out", "f.png", "--frames", "6"], in: folder)
        #expect(r.status == 0 && r.stdout.contains("discrete:spacing=linspace,betas=linear,T=1000, 6 frames"), "\(r.stdout)\(r.stderr)")
        r = try CLI.run(["forward", "--model", "moons", "--out", "f.apng", "--frames", "5", "--schedule", "karras:rho=3"], in: folder)
        #expect(r.status == 0 && r.stdout.contains("karras:sigma_min="), "\(r.stdout)\(r.stderr)")
        #expect(try Self.png(folder, "f.png").size.width > 6 * 200)
        #expect(try checkedAPNGFrames(try Self.png(folder, "f.apng")) == 5)
    }

    @Test("compare: one figure per budget, a row per sampler, linked from report.md and results.json")
    func compare() throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(["compare", "--model", "gmm2d", "--samplers", "ddim;heun;ddpm", "--nfe", "4,8", "--count", "40",
                             "--reference", "none", "--trajectory-frames", "3", "--out", "c"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        let out = folder.appendingPathComponent("c")
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("[4 NFE](trajectories-nfe4.png)") && report.contains("[8 NFE](trajectories-nfe8.png)"))
        let json = try String(contentsOf: out.appendingPathComponent("results.json"), encoding: .utf8)
        #expect(json.contains("\"trajectory_figures\""))
        let figure = try Self.png(out, "trajectories-nfe8.png")
        #expect(figure.size.height > 3 * 120 && figure.size.height < 3 * 120 + 150, "three rows of 120-pixel panels")
        let none = try CLI.run(["compare", "--model", "gmm2d", "--samplers", "ddim", "--nfe", "4", "--count", "10",
                                "--reference", "none", "--trajectory-frames", "0", "--out", "n"], in: folder)
        #expect(none.status == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("n/trajectories-nfe4.png").path))
    }

    @Test("Refusals are one line naming the option", arguments: [
        (["sample", "--frames", "5"], "--frames needs --trajectory FILE"),
        (["sample", "--trajectory-denoised"], "--trajectory-denoised needs --trajectory FILE"),
        (["sample", "--trajectory", "t.gif"], "unknown extension 'gif'"),
        (["sample", "--trajectory", "t.png", "--frames", "1"], "--frames must be 2…500"),
        (["sample", "--trajectory", "t.png", "--fps", "5"], "--fps sets an animation's speed"),
        (["sample", "--trajectory", "t.apng", "--fps", "0"], "--fps must be in 0.01…100"),
        (["sample", "--model", "gmm64", "--trajectory", "t.png"], "draws 2-D points or images"),
        (["sample", "--count", "5", "--trajectory", "t.png", "--trajectory-rows", "6"], "exceeds the 5 samples"),
        (["forward", "--out", "f.jpg"], "unknown extension 'jpg'"),
        (["forward", "--out", "f.png", "--schedule", "karras:foo=1"], "karras has no key 'foo'"),
        (["forward", "--out", "f.png", "--view", "sideways"], "--view must be scaled or raw"),
        (["forward", "--out", "f.png", "--frames", "1"], "--frames must be 2…500"),
        (["compare", "--out", "c", "--trajectory-frames", "1"], "--trajectory-frames must be 0 (no figures) or 2…50"),
    ])
    func refusals(args: [String], expected: String) throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(args, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "nothing written")
    }
}
