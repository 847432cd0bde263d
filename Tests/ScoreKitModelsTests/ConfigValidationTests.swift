import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// A checkpoint's config is checked for meaning before any network is built: sizes with
/// overflow-safe products, σ ranges, sections that read the same samples, working memory.
@Suite("Checkpoint config validation")
struct ConfigValidationTests {
    /// A shipped checkpoint with its config edited.
    static func shipped(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> Checkpoint {
        let original = try Checkpoint.read(try BuiltinModels.resourceURL(name))
        var config = try JSONSerialization.jsonObject(with: original.config) as! [String: Any]
        edit(&config)
        return Checkpoint(config: try JSONSerialization.data(withJSONObject: config),
                          tensors: original.names.map { ($0, original.tensors[$0]!) }, path: "m.safetensors")
    }

    /// Sets `section.network.sample_shape`.
    static func sampleShape(_ section: String, _ shape: [Int]) -> (inout [String: Any]) -> Void {
        { config in
            var s = config[section] as! [String: Any], network = s["network"] as! [String: Any]
            network["sample_shape"] = shape
            s["network"] = network
            config[section] = s
        }
    }

    static func reason(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let FileFormatError.malformed(_, reason) { return reason } catch { return "\(error)" }
    }

    @Test("a sample shape whose product overflows is refused in every section")
    func overflowingShapes() throws {
        let huge = [65536, 65536, 65536, 65536]
        for (model, section, architecture) in [("moons", "denoiser", "mlp-denoiser"), ("moons", "classifier", "mlp-classifier"),
                                                ("digits", "denoiser", "unet"), ("digits", "label_classifier", "cnn-classifier")] {
            let c = try Self.shipped(model, Self.sampleShape(section, huge))
            #expect(Self.reason { _ = try TrainedModel(checkpoint: c) }
                    == "config: \(architecture): sample_shape: shape \(huge) is invalid: its number of values overflows 64-bit arithmetic (the limit is 16777216)")
        }
        let negative = try Self.shipped("moons", Self.sampleShape("denoiser", [2, -1]))
        #expect(Self.reason { _ = try TrainedModel(checkpoint: negative) }
                == "config: mlp-denoiser: sample_shape: shape [2, -1] is invalid: entry 1 is -1 (a negative dimension); every dimension must be at least 1")
    }

    @Test("a denoiser whose sample shape disagrees with its classifier's or its dataset's is refused")
    func sectionsAgree() throws {
        for shape in [[1, 16, 16], [1, 256, 256], [1, 4096, 4096]] {
            let c = try Self.shipped("digits", Self.sampleShape("denoiser", shape))
            #expect(Self.reason { _ = try TrainedModel(checkpoint: c) }
                    == "classifier sample_shape [1, 8, 8] disagrees with denoiser sample_shape \(shape); every section must read the same samples")
        }
        let alone = try Self.shipped("digits") { config in
            Self.sampleShape("denoiser", [1, 16, 16])(&config)
            config["classifier"] = nil
            config["label_classifier"] = nil
        }
        #expect(Self.reason { _ = try TrainedModel(checkpoint: alone) }
                == "denoiser sample_shape [1, 16, 16] disagrees with dataset 'digits', whose samples are [1, 8, 8]")
    }

    /// Without a classifier or a dataset to disagree with, a U-Net's weights fit any even size;
    /// the working-memory estimate refuses the sizes one call could not hold, at once.
    @Test("a sample too large for one call's working memory is refused with the estimate, in well under a second")
    func workingMemory() throws {
        for (shape, estimate) in [([1, 4096, 4096], "38.3 GB"), ([1, 256, 256], "153.0 MB")] {
            let c = try Self.shipped("digits") { config in
                Self.sampleShape("denoiser", shape)(&config)
                for key in ["classifier", "label_classifier", "dataset"] { config[key] = nil }
            }
            let start = Date()
            #expect(Self.reason { _ = try TrainedModel(checkpoint: c) }
                    == "config: unet: sample_shape \(shape): one sample needs about \(estimate) of working memory per call, above the limit of 128.0 MB")
            #expect(Date().timeIntervalSince(start) < 0.5)
        }
        for (shape, full) in [([1, 16, 16], true), ([1, 64, 64], false)] {
            let fits = try Self.shipped("digits") { config in
                Self.sampleShape("denoiser", shape)(&config)
                for key in ["classifier", "label_classifier", "dataset"] { config[key] = nil }
            }
            let network = try #require(try TrainedModel(checkpoint: fits).denoiser).network
            let chunk = network.preferredBatch, bytes = 4 * network.workingFloatsPerRow
            #expect(chunk * bytes <= NetworkCost.callMemoryBudget, "\(shape)")
            #expect(full ? chunk == 64 : (chunk < 64 && (chunk + 1) * bytes > NetworkCost.callMemoryBudget), "\(shape)")
        }
    }

    @Test("σ_data and σ ranges outside their documented ranges are refused")
    func ranges() throws {
        func denoiser(_ key: String, _ value: Any) throws -> String? {
            let c = try Self.shipped("moons") { config in
                var d = config["denoiser"] as! [String: Any]
                d[key] = value
                config["denoiser"] = d
            }
            return Self.reason { _ = try TrainedModel(checkpoint: c) }
        }
        #expect(try denoiser("sigma_data", 1e-300) == "denoiser sigma_data = 1e-300 is outside 0.0001 … 10000.0")
        #expect(try denoiser("sigma_data", 1e300) == "denoiser sigma_data = 1e+300 is outside 0.0001 … 10000.0")
        #expect(try denoiser("sigma_min", 0) == "denoiser sigma_min = 0.0, sigma_max = 80.0: both must lie in 1e-06 … 1000000.0")
        #expect(try denoiser("sigma_max", 0.001) == "denoiser sigma_min = 0.002 must be below sigma_max = 0.001")
        let levels = try Self.shipped("moons") { config in
            var c = config["classifier"] as! [String: Any], l = c["levels"] as! [String: Any]
            l["count"] = 1
            c["levels"] = l
            config["classifier"] = c
        }
        #expect(Self.reason { _ = try TrainedModel(checkpoint: levels) } == "classifier levels count = 1 is outside 2 … 65536")
    }

    @Test("versions, JSON depth, numbers out of range and duplicate keys get their own reasons")
    func configMessages() throws {
        let zero = try Self.shipped("moons") { $0["version"] = 0 }
        #expect(Self.reason { _ = try TrainedModel(checkpoint: zero) }
                == "config version 0 is not a valid version (versions start at 1; this ScoreKit reads 1)")
        let two = try Self.shipped("moons") { $0["version"] = 2 }
        #expect(Self.reason { _ = try TrainedModel(checkpoint: two) } == "config version 2 is newer than this ScoreKit reads (1); update ScoreKit")
        let cases: [(String, String)] = [
            (String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
             "nested too deeply (more than 512 levels of arrays and objects) at byte 512"),
            (#"{"version": 1e309}"#, "number 1e309 is out of range (beyond ±1.8e308) at byte 12"),
            (#"{"version": 1, "version": 1}"#, "duplicate key 'version' at byte 15"),
        ]
        for (text, reason) in cases {
            #expect(throws: FileFormatError.malformed("m", reason: "config is not valid JSON: \(reason)")) {
                try ModelConfig(json: Data(text.utf8), path: "m")
            }
        }
        let float = try Self.shipped("moons", Self.sampleShape("denoiser", [2]))
        var text = String(decoding: float.config, as: UTF8.self)
        text = text.replacingOccurrences(of: #""sample_shape":[2]"#, with: #""sample_shape":[2.5]"#)
        #expect(throws: FileFormatError.malformed("m", reason: "config: bad value at 'classifier.network.sample_shape.0': 2.5 is not an integer in range")) {
            try ModelConfig(json: Data(text.utf8), path: "m")
        }
    }

    /// The estimate covers the workspace a real inference call takes, and overshoots it by
    /// little (it sizes the chunks).
    @Test("the working-memory estimate bounds the workspace an inference call really takes")
    func estimateMatchesWorkspace() throws {
        let digits = try BuiltinModels.trainedModel("digits")
        let denoiser = try #require(digits.denoiser)
        let rows = 64, n = denoiser.dimension
        let x = Tensor(shape: [rows] + denoiser.sampleShape, scalars: (0..<(rows * n)).map { Float($0 % 7) / 7 })
        let network = try #require(denoiser.network as? UNetNetwork)
        let packed = PackedParameters(layout: network.layout, weights: denoiser.weights)
        let workspace = Workspace()
        packed.weights.withUnsafeBufferPointer { w in
            let pass = InferencePass(parameters: packed, w: w, workspace: workspace)
            let input = pass.buffer(rows * n), f = pass.buffer(rows * n)
            x.scalars.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: rows * n) }
            network.infer(input, labels: Array(repeating: 0.1, count: rows), pass, into: f)
        }
        workspace.reset()
        let used = workspace.capacity, estimate = network.workingFloatsPerRow * rows
        #expect(estimate >= used && Double(estimate) <= 1.1 * Double(used), "estimate \(estimate) floats, used \(used)")
    }
}
