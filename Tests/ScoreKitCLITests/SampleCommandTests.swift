import Foundation
import Testing
import ScoreKit

@Suite("scorekit sample")
struct SampleCommandTests {
    @Test("same seed, different --batch: bit-identical output")
    func batchIndependence() throws {
        let folder = try CLI.temporaryFolder()
        for batch in ["1000", "333"] {
            let r = try CLI.run(["sample", "--model", "gmm2d", "--sampler", "ddpm:steps=50", "--count", "1000",
                                 "--seed", "3", "--batch", batch, "--out", "b\(batch).npy"], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try Data(contentsOf: folder.appendingPathComponent("b1000.npy"))
        let b = try Data(contentsOf: folder.appendingPathComponent("b333.npy"))
        #expect(a == b && a.count > 1000 * 2 * 4)
    }

    @Test("--json prints the resolved spec, counts and timing")
    func json() throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(["sample", "--sampler", "ddim:eta=0.5", "--nfe", "20", "--count", "64", "--seed", "9",
                             "--json", "--out", "x.npy"], in: folder)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(object["sampler"] as? String == "ddim:steps=20,eta=0.5,spacing=leading,betas=linear,T=1000")
        #expect(object["model"] as? String == "gmm2d")
        #expect(object["count"] as? Int == 64 && object["seed"] as? Int == 9)
        let nfe = try #require(object["nfe_per_sample"] as? [String: Any])
        #expect(nfe["mean"] as? Double == 20 && nfe["min"] as? Int == 20 && nfe["max"] as? Int == 20)
        let classifier = try #require(object["classifier_calls_per_sample"] as? [String: Any])
        #expect(classifier["max"] as? Int == 0)
        #expect((object["seconds"] as? Double).map { $0 >= 0 } == true)
        #expect((object["out"] as? String)?.hasSuffix("x.npy") == true)
    }

    @Test("--init-noise drives the sampler: the seed's own z reproduces the seeded run")
    func initialNoise() throws {
        let folder = try CLI.temporaryFolder()
        let z = try PhiloxNoise(seed: 5, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<100))
            .normal(rows: nil, shape: [2])
        try ArrayFile.write(z, to: folder.appendingPathComponent("z.csv"))
        let a = try CLI.run(["sample", "--sampler", "ddim:steps=10", "--seed", "5", "--count", "100", "--out", "a.npy"], in: folder)
        let b = try CLI.run(["sample", "--sampler", "ddim:steps=10", "--seed", "5", "--init-noise", "z.csv", "--out", "b.npy"], in: folder)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        // CSV stores z as decimal text; Float round-trips exactly through Swift's shortest form.
        #expect(try Data(contentsOf: folder.appendingPathComponent("a.npy")) == Data(contentsOf: folder.appendingPathComponent("b.npy")))
    }

    @Test("every output format holds the same samples", arguments: ["csv", "safetensors"])
    func outputFormats(_ ext: String) throws {
        let folder = try CLI.temporaryFolder()
        for name in ["x.npy", "x.\(ext)"] {
            #expect(try CLI.run(["sample", "--count", "50", "--sampler", "ddim:steps=5", "--out", name], in: folder).status == 0)
        }
        #expect(try ArrayFile.read(folder.appendingPathComponent("x.npy")) == ArrayFile.read(folder.appendingPathComponent("x.\(ext)")))
    }

    @Test("a .png scatter plot of 2-D samples")
    func png() throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(["sample", "--count", "500", "--sampler", "ddim:steps=5", "--out", "x.png"], in: folder)
        #expect(r.status == 0)
        let bytes = try Data(contentsOf: folder.appendingPathComponent("x.png"))
        #expect(bytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }

    @Test("without --out: CSV on stdout, summary on stderr, no progress bar in a pipe")
    func stdoutCSV() throws {
        let r = try CLI.run(["sample", "--count", "7", "--sampler", "ddim:steps=3"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 8 && lines[0] == "x0,x1")
        #expect(r.stderr.hasPrefix("sampler     ddim:steps=3") && !r.stderr.contains("\r"))
    }
}

@Suite("scorekit bad input")
struct BadInputTests {
    static let cases: [([String], String)] = [
        (["--model", "nope"], "unknown model 'nope': not a built-in model (gmm2d, ring8, gmm64, moons, swissroll, checkerboard, scurve, circles, digits, digits-cond) and no such file"),
        (["--sampler", "nope"], "unknown sampler 'nope'; valid samplers: "),
        (["--sampler", "ddim:foo=1"], "sampler 'ddim' has no key 'foo'; valid keys: steps, eta, spacing, betas, beta_start, beta_end, T"),
        (["--sampler", "ddim:eta=2"], "sampler 'ddim': eta=2 is invalid; expected a number in 0…1"),
        (["--model", "bad.json"], "model file bad.json: invalid Gaussian mixture: missing key 'stds'"),
        (["--init-noise", "wide.csv"], "--init-noise wide.csv has shape [4, 3]; expected rows of 2 values (count × 2) for gmm2d"),
        (["--init-noise", "wide.csv", "--model", "gmm64"], "expected rows of 64 values"),
        (["--init-noise", "narrow.csv", "--count", "5"], "--init-noise narrow.csv has 4 rows but --count is 5"),
        (["--count", "0"], "--count must be positive, got 0"),
        (["--count", "abc"], "The value 'abc' is invalid for '--count <count>'"),
        (["--bogus"], "Unknown option '--bogus'"),
        (["--count", "-5"], "--count must be positive, got -5"),
        (["--nfe", "0"], "--nfe must be positive, got 0"),
        (["--sampler", "ddim:steps=100", "--nfe", "50"], "sampler 'ddim': steps=100 needs 100 NFE per sample, more than --nfe 50"),
        (["--out", "missing/x.npy"], "missing/x.npy: folder"),
        (["--out", "bad.json/x.npy"], "bad.json is not a folder"),
        (["--out", "x.txt"], "x.txt: unsupported file type; use one of .npy, .safetensors, .csv, .png"),
        (["--model", "gmm64", "--out", "x.png"], "a .png shows 2-D points or images; gmm64 samples have 64 dimensions"),
    ]

    @Test("one clear line on stderr, non-zero exit, no output file", arguments: cases)
    func rejected(arguments: [String], message: String) throws {
        let folder = try CLI.temporaryFolder()
        try Data(#"{"kind":"gaussian-mixture","weights":[1],"means":[[0, 0]]}"#.utf8).write(to: folder.appendingPathComponent("bad.json"))
        try Data("1,2,3\n4,5,6\n7,8,9\n1,1,1\n".utf8).write(to: folder.appendingPathComponent("wide.csv"))
        try Data("1,2\n4,5\n7,8\n1,1\n".utf8).write(to: folder.appendingPathComponent("narrow.csv"))
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let r = try CLI.run(["sample", "--count", "4", "--out", "out.npy"] + arguments, in: folder)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before)
    }
}

@Suite("scorekit listings")
struct ListingTests {
    @Test("samplers: every sampler with its keys, defaults and NFE rule")
    func samplers() throws {
        let r = try CLI.run(["samplers"])
        #expect(r.status == 0)
        #expect(SamplerCatalog.standard.descriptions.count == 20)
        for d in SamplerCatalog.standard.descriptions {
            #expect(r.stdout.contains("\(d.name) — \(d.summary)") && r.stdout.contains(d.nfeRule))
            for o in d.options { #expect(r.stdout.contains("= \(o.defaultValue)  (\(o.values))")) }
        }
    }

    @Test("samplers: a key the default does not use shows the value it takes where it applies")
    func inapplicableKeysShowTheirDefault() throws {
        let euler = try #require(SamplerCatalog.standard.descriptions.first { $0.name == "euler" })
        let defaults = Dictionary(uniqueKeysWithValues: euler.options.map { ($0.key, $0.defaultValue) })
        #expect(defaults["schedule"] == "karras" && defaults["rho"] == "7")
        #expect(defaults["spacing"] == "linspace (where it applies)" && defaults["T"] == "1000 (where it applies)")
        #expect(defaults["sigmas"] == "—")
        let ddim = try #require(SamplerCatalog.standard.descriptions.first { $0.name == "ddim" })
        #expect(ddim.options.first { $0.key == "spacing" }?.defaultValue == "leading")
    }

    @Test("models: a line per built-in model")
    func models() throws {
        let r = try CLI.run(["models"])
        #expect(r.status == 0)
        for name in BuiltinModels.names { #expect(r.stdout.contains(name)) }
    }
}
