import Foundation
import ScoreKitCore

extension BuiltinModels {
    /// The trained models shipped as resources of this module, in the order `scorekit models` lists them.
    public static let trainedNames = ["moons", "swissroll", "checkerboard", "scurve", "circles", "digits", "digits-cond"]

    /// The resource file of a shipped checkpoint; throws `MissingResourceError` when the
    /// resource bundle (or the file in it) is missing.
    static func resourceURL(_ name: String) throws -> URL {
        try ModelResources.current.url(forResource: name, withExtension: "safetensors")
    }

    /// The shipped checkpoint `name` (one of `trainedNames`), loaded and validated.
    public static func trainedModel(_ name: String) throws -> TrainedModel {
        guard trainedNames.contains(name) else { throw ModelLoadError.unknown(name, builtins: names) }
        return try TrainedModel(contentsOf: try resourceURL(name))
    }

    /// Entries for the shipped checkpoints, with a summary read from each file's header
    /// (architecture, parameters, size, training settings). A checkpoint whose file is missing
    /// keeps its entry: its summary says so and loading it throws the `MissingResourceError`.
    static let trainedEntries: [Entry] = trainedNames.map { name in
        let load: @Sendable () throws -> LoadedModel = { try trainedModel(name).loaded(name: name) }
        guard let url = try? resourceURL(name) else {
            return Entry(name: name, kind: "trained", summary: "unavailable: \(ModelResources.bundleName) not found", load: load)
        }
        guard let data = FileManager.default.contents(atPath: url.path),
              let file = try? Safetensors(data: data, path: url.path),
              let text = file.metadata[Checkpoint.configKey],
              let config = try? ModelConfig(json: Data(text.utf8), path: url.path) else {
            return Entry(name: name, kind: "trained", summary: "unreadable checkpoint \(url.path)", load: load)
        }
        let parameters = file.entries.map { $0.shape.reduce(1, *) }.reduce(0, +)
        return Entry(name: name, kind: "trained", summary: summary(config, parameters: parameters, bytes: data.count), load: load)
    }

    /// One line: networks, size, training settings.
    static func summary(_ config: ModelConfig, parameters: Int, bytes: Int) -> String {
        var parts: [String] = []
        if let d = config.denoiser {
            parts.append(d.network.labelClasses.map { "\(d.network.architecture) (\($0) classes + ∅)" } ?? d.network.architecture)
        }
        if let c = config.classifier { parts.append("\(c.network.architecture) (\(c.levels.count) σ levels)") }
        if let l = config.labelClassifier { parts.append("digit \(l.network.architecture)") }
        if let n = config.noisyLabelClassifier { parts.append("noisy digit \(n.network.architecture)") }
        var line = parts.joined(separator: " + ") + String(format: "; %.0fk params, %d KB", Double(parameters) / 1000, bytes / 1024)
        if let t = config.training {
            let s = t.settings
            line += "; \(t.denoiserSteps) steps × \(s.batch), lr \(s.learningRate), EMA \(s.emaDecay), seed \(s.seed)"
            line += "; classifier \(t.classifierSteps) steps" + (t.labelSteps > 0 ? ", digit classifier \(t.labelSteps)" : "")
                + ((t.noisyLabelSteps ?? 0) > 0 ? ", noisy digit classifier \(t.noisyLabelSteps!)" : "")
            line += String(format: "; trained in %.1f min", t.seconds / 60)
        }
        return line
    }
}
