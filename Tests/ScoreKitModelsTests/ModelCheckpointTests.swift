import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// Model checkpoints: the config decides the networks, and every tensor must match it.
@Suite("Model checkpoints")
struct ModelCheckpointTests {
    static func smallCheckpoint() throws -> Checkpoint {
        let run = try TrainingRun(recipe: try TrainingTests.tinyRecipe(steps: 0, classifierSteps: 0))
        return try run.checkpoint(weightsOnly: true)
    }

    /// The checkpoint with its config JSON edited by `edit`.
    static func editingConfig(_ c: Checkpoint, _ edit: (inout [String: Any]) -> Void) throws -> Checkpoint {
        var object = try JSONSerialization.jsonObject(with: c.config) as! [String: Any]
        edit(&object)
        return Checkpoint(config: try JSONSerialization.data(withJSONObject: object), tensors: c.names.map { ($0, c.tensors[$0]!) },
                          path: "m.safetensors")
    }

    @Test func roundTripsThroughTheFile() throws {
        let c = try Self.smallCheckpoint()
        let model = try TrainedModel(checkpoint: try Checkpoint(data: try c.encoded()))
        #expect(model.config.dataset == "moons")
        #expect(model.denoiser?.sampleShape == [2])
        #expect(model.noiseLevelEstimator?.grid == TrainingRecipe.levels)
        let x = Tensor(rows: [[0.1, -0.2], [1, 1]])
        let d = try model.denoiser!.denoise(x, sigma: [0.5, 2])
        #expect(d.shape == [2, 2] && d.isFinite)
    }

    @Test func shapesAreCheckedAgainstTheConfig() throws {
        let c = try Self.smallCheckpoint()
        let wider = try Self.editingConfig(c) { config in
            var denoiser = config["denoiser"] as! [String: Any]
            var network = denoiser["network"] as! [String: Any]
            network["hidden"] = 17
            denoiser["network"] = network
            config["denoiser"] = denoiser
        }
        #expect(throws: FileFormatError.malformed("m.safetensors", reason: "tensor 'denoiser.layers.0.weight' has shape [16, 34]; the config implies [17, 34]")) {
            try TrainedModel(checkpoint: wider)
        }
        let deeper = try Self.editingConfig(c) { config in
            var denoiser = config["denoiser"] as! [String: Any]
            var network = denoiser["network"] as! [String: Any]
            network["depth"] = 5
            denoiser["network"] = network
            config["denoiser"] = denoiser
        }
        #expect(throws: FileFormatError.malformed("m.safetensors", reason: "missing tensor 'denoiser.layers.4.weight' (shape [16, 16]) that the config's network needs")) {
            try TrainedModel(checkpoint: deeper)
        }
    }

    @Test func configErrorsAreClear() throws {
        let c = try Self.smallCheckpoint()
        let noField = try Self.editingConfig(c) { config in
            var denoiser = config["denoiser"] as! [String: Any]
            denoiser["sigma_data"] = nil
            config["denoiser"] = denoiser
        }
        #expect(throws: FileFormatError.malformed("m.safetensors", reason: "config: missing 'denoiser.sigma_data'")) {
            try TrainedModel(checkpoint: noField)
        }
        let architecture = try Self.editingConfig(c) { config in
            var classifier = config["classifier"] as! [String: Any]
            var network = classifier["network"] as! [String: Any]
            network["architecture"] = "resnet"
            classifier["network"] = network
            config["classifier"] = classifier
        }
        #expect(throws: FileFormatError.malformed("m.safetensors", reason: "config: unknown architecture 'resnet'; expected one of mlp-classifier, cnn-classifier")) {
            try TrainedModel(checkpoint: architecture)
        }
        let format = try Self.editingConfig(c) { $0["format"] = "diffusers" }
        #expect(throws: FileFormatError.malformed("m.safetensors", reason: "config format is 'diffusers'; expected 'scorekit-model'")) {
            try TrainedModel(checkpoint: format)
        }
    }

    /// Seeded edits of the config's numbers and strings: each loads or fails with a clear error.
    @Test func configFuzz() throws {
        let replacements = ["0", "-1", "1e9", "2.5", "null", "\"x\"", "[]", "{}", "true", "99999999999999999999"]
        try Self.fuzzConfig(try Self.smallCheckpoint(), seed: 77, replacements: replacements) { model in
            if let d = model.denoiser { _ = try d.denoise(Tensor(rows: [[0, 0]]), sigma: [1]) }
        }
    }

    /// 300 seeded edits of `c`'s config, each replacing one JSON value token (the run after a
    /// colon) with one of `replacements`: every edit must load and pass `use`, or fail with a
    /// `FileFormatError` — never another error, never a trap.
    static func fuzzConfig(_ c: Checkpoint, seed: UInt64, replacements: [String], use: (TrainedModel) throws -> Void) throws {
        let text = Array(c.config)
        let streams = RandomStreams(seed: seed)
        let tokens = replacements.map { Array($0.utf8) }
        let colons = text.indices.filter { text[$0] == UInt8(ascii: ":") }
        for trial in 0..<300 {
            let u = streams.uniforms(stream: 5, sample: trial, block: 0)
            let at = colons[min(Int(u[0] * Double(colons.count)), colons.count - 1)] + 1
            var end = at
            while end < text.count, ![UInt8(ascii: ","), UInt8(ascii: "}")].contains(text[end]), text[end] != UInt8(ascii: "{") { end += 1 }
            let replacement = tokens[min(Int(u[1] * Double(tokens.count)), tokens.count - 1)]
            let edited = Array(text[..<at]) + replacement + Array(text[end...])
            let checkpoint = Checkpoint(config: Data(edited), tensors: c.names.map { ($0, c.tensors[$0]!) }, path: "f")
            do {
                try use(try TrainedModel(checkpoint: try Checkpoint(data: try checkpoint.encoded(), path: "f")))
            } catch is FileFormatError {
            } catch {
                Issue.record("trial \(trial): unexpected error \(error)")
            }
        }
    }
}
