import Foundation
import Testing

/// Model files whose meaning is wrong: every case ends with rc 1 and one line on stderr that
/// names the file once and says what is wrong, for an ODE sampler and for DLG (which also
/// reads the classifier).
@Suite("scorekit model file messages")
struct ModelMessageTests {
    /// (file name, bytes, the error line after `Error: `).
    static func cases() throws -> [(String, Data, String)] {
        let moons = try ModelFiles.shipped("moons"), digits = try ModelFiles.shipped("digits")
        func shape(_ section: String, _ shape: [Int]) -> (inout [String: Any]) -> Void {
            { config in
                var s = config[section] as! [String: Any], network = s["network"] as! [String: Any]
                network["sample_shape"] = shape
                s["network"] = network
                config[section] = s
            }
        }
        let huge = [65536, 65536, 65536, 65536]
        return [
            ("v0.safetensors", try ModelFiles.editingConfig(moons) { $0["version"] = 0 },
             "model file v0.safetensors is malformed: config version 0 is not a valid version (versions start at 1; this ScoreKit reads 1)"),
            ("deep.safetensors", try ModelFiles.replacingConfig(moons, with: String(repeating: "[", count: 600) + String(repeating: "]", count: 600)),
             "model file deep.safetensors is malformed: __metadata__.config is not valid JSON: nested too deeply (more than 512 levels of arrays and objects) at byte 512"),
            ("big.safetensors", try ModelFiles.replacingConfig(moons, with: #"{"version": 1e309}"#),
             "model file big.safetensors is malformed: __metadata__.config is not valid JSON: number 1e309 is out of range (beyond ±1.8e308) at byte 12"),
            ("huge.safetensors", try ModelFiles.editingConfig(digits, shape("classifier", huge)),
             "model file huge.safetensors is malformed: config: cnn-classifier: sample_shape: shape \(huge) is invalid: its number of values overflows 64-bit arithmetic (the limit is 16777216)"),
            ("mismatch.safetensors", try ModelFiles.editingConfig(digits, shape("denoiser", [1, 16, 16])),
             "model file mismatch.safetensors is malformed: classifier sample_shape [1, 8, 8] disagrees with denoiser sample_shape [1, 16, 16]; every section must read the same samples"),
            ("wide.safetensors", try ModelFiles.editingConfig(digits) { config in
                shape("denoiser", [1, 4096, 4096])(&config)
                for key in ["classifier", "label_classifier", "dataset"] { config[key] = nil }
            }, "model file wide.safetensors is malformed: config: unet: sample_shape [1, 4096, 4096]: one sample needs about 38.3 GB of working memory per call, above the limit of 128.0 MB"),
            ("sd.safetensors", try ModelFiles.editingConfig(moons) { config in
                var d = config["denoiser"] as! [String: Any]
                d["sigma_data"] = 1e-300
                config["denoiser"] = d
            }, "model file sd.safetensors is malformed: denoiser sigma_data = 1e-300 is outside 0.0001 … 10000.0"),
            ("neg.json", Data(ModelFiles.mixture(#","shape":[-1,-2]"#).utf8),
             "model file neg.json: invalid Gaussian mixture: shape [-1, -2] is invalid: entry 0 is -1 (a negative dimension); every dimension must be at least 1"),
            ("overflow.json", Data(ModelFiles.mixture(#","shape":[4611686018427387904,4,2]"#).utf8),
             "model file overflow.json: invalid Gaussian mixture: shape [4611686018427387904, 4, 2] is invalid: its number of values overflows 64-bit arithmetic (the limit is 16777216)"),
            ("deep.json", Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8),
             "model file deep.json: invalid Gaussian mixture: not valid JSON: nested too deeply (more than 512 levels of arrays and objects) at byte 512"),
            ("e309.json", Data(#"{"kind":"gaussian-mixture","weights":[1e309],"means":[[0]],"stds":[[1]]}"#.utf8),
             "model file e309.json: invalid Gaussian mixture: not valid JSON: number 1e309 is out of range (beyond ±1.8e308) at byte 38"),
        ]
    }

    @Test("each model file is refused with one line naming it once, with euler and with dlg")
    func refusals() throws {
        let folder = try CLI.temporaryFolder()
        for (name, data, message) in try Self.cases() {
            try data.write(to: folder.appendingPathComponent(name))
            for sampler in ["euler", "dlg:skip=4"] {
                let start = Date()
                let r = try CLI.run(["sample", "--model", name, "--sampler", sampler, "--count", "2", "--nfe", "12"], in: folder)
                #expect(r.status == 1, "\(name) \(sampler)")
                #expect(r.stderr == "Error: \(message)\n", "\(name) \(sampler)")
                #expect(r.stderr.components(separatedBy: name).count == 2, "\(name): named once")
                #expect(Date().timeIntervalSince(start) < 5, "\(name) \(sampler): refused up front")
            }
        }
    }

    @Test("a .npy header with a negative dimension is called invalid, not short of bytes")
    func negativeNPYShape() throws {
        let folder = try CLI.temporaryFolder()
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-8, 2), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8) + Array(repeating: 0, count: 16))
        try data.write(to: folder.appendingPathComponent("neg.npy"))
        let r = try CLI.run(["sample", "--init-noise", "neg.npy", "--count", "8"], in: folder)
        #expect(r.status == 1)
        #expect(r.stderr.hasSuffix("neg.npy is malformed: header shape [-8, 2] is invalid: entry 0 is -8 (a negative dimension); every dimension must be non-negative\n"), "\(r.stderr)")
        #expect(!r.stderr.contains("bytes"))
    }

    /// Samplers that take their σ range from the model get the mixture's (σ_max = 2 × its reach,
    /// 1000 here) and need no warning; a σ_max set below the reach, or a fixed VP table, warns.
    @Test("a mixture wider than σ_max samples with a warning naming sigma_max; the model's own range needs none")
    func scaleWarning() throws {
        let folder = try CLI.temporaryFolder()
        let spec = #"{"kind":"gaussian-mixture","weights":[1,1],"means":[[0,0],[300,400]],"stds":[[1,1],[2,2]]}"#
        try Data(spec.utf8).write(to: folder.appendingPathComponent("wide.json"))
        let r = try CLI.run(["sample", "--model", "wide.json", "--sampler", "heun:sigma_max=80", "--count", "4", "--nfe", "9"], in: folder)
        #expect(r.status == 0)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("warning: the mixture reaches 500 from the origin") && first.contains("--sampler 'heun:sigma_max=2000'"), "\(first)")
        let ddim = try CLI.run(["sample", "--model", "wide.json", "--sampler", "ddim", "--count", "4", "--nfe", "9"], in: folder)
        #expect(ddim.status == 0 && ddim.stderr.contains("warning: the mixture reaches 500"))
        let quiet = try CLI.run(["sample", "--model", "wide.json", "--sampler", "heun", "--count", "4", "--nfe", "9"], in: folder)
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet.stderr)")
        let builtin = try CLI.run(["sample", "--model", "gmm2d", "--sampler", "langevin", "--count", "4", "--nfe", "20"])
        #expect(!builtin.stderr.contains("warning: the mixture"))
    }

    @Test("models prints each model's cost per call, as text and JSON, and describes model files")
    func modelsCost() throws {
        let folder = try CLI.temporaryFolder()
        try Data(ModelFiles.mixture().utf8).write(to: folder.appendingPathComponent("m.json"))
        let text = try CLI.run(["models", "m.json"], in: folder)
        #expect(text.status == 0)
        #expect(text.stdout.contains("cost per call: denoiser ") && text.stdout.contains("m.json"))
        let json = try CLI.run(["models", "--json", "m.json"], in: folder)
        let rows = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]])
        let names = rows.compactMap { $0["name"] as? String }
        #expect(names.contains("gmm64") && names.contains("digits") && names.last == "m.json")
        for row in rows { #expect((row["denoiser_flops"] as? Double).map { $0 > 0 } == true, "\(row)") }
        let file = try #require(rows.last)
        #expect(file["denoiser_flops"] as? Double == Double(2 * (6 * 2 + 20)))
    }
}
