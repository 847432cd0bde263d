import Foundation
import ScoreKitCore

/// Loads a model by name or file — what `--model` names in the tool.
///
/// ```swift
/// let moons = try ModelLoader.load("moons")                  // a shipped checkpoint
/// let mine = try ModelLoader.load("runs/model.safetensors")   // one from `scorekit train`
/// let mixture = try ModelLoader.load("mixture.json")          // an exact Gaussian mixture
/// let job = SamplingJob(sampler: DLG(), model: moons, count: 100)   // DLG gets its classifier
/// ```
///
/// A `LoadedModel` carries the denoiser every sampler calls, the noise-level estimator DLG
/// needs (a trained classifier, or an exact mixture's posterior), and what comparisons measure
/// against. Built-in names are `BuiltinModels.names`; the shipped checkpoints come from the
/// package's resource bundle (see docs/deploy.md when the tool is copied elsewhere). Errors
/// (`ModelLoadError`, `FileFormatError`) name the file and what is wrong with it.
public enum ModelLoader {
    /// File kinds `load` understands, by extension.
    public static let fileKinds = ["json (Gaussian mixture)", "safetensors (ScoreKit checkpoint)"]

    /// The built-in model `nameOrPath`, or the model in that file (`.json`: a Gaussian mixture;
    /// `.safetensors`: a ScoreKit checkpoint with a denoiser, and its noise-level classifier if any).
    public static func load(_ nameOrPath: String) throws -> LoadedModel {
        if let entry = BuiltinModels.entry(nameOrPath) { return try entry.load() }
        guard !nameOrPath.isEmpty else { throw ModelLoadError.unknown(nameOrPath, builtins: BuiltinModels.names) }
        let url = URL(fileURLWithPath: nameOrPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelLoadError.unknown(nameOrPath, builtins: BuiltinModels.names)
        }
        switch url.pathExtension.lowercased() {
        case "json":
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ModelLoadError.unreadable(nameOrPath)
            }
            do {
                return LoadedModel(name: nameOrPath, mixture: try GaussianMixture(json: data))
            } catch let error as GaussianMixtureError {
                throw ModelLoadError.malformed(nameOrPath, reason: error.description)
            }
        case "safetensors":
            do {
                return try TrainedModel(contentsOf: url).loaded(name: nameOrPath)
            } catch let error as FileFormatError {
                throw ModelLoadError.invalidFile(nameOrPath, reason: error.reason)
            }
        default:
            throw ModelLoadError.unsupportedFile(nameOrPath, kinds: fileKinds)
        }
    }
}

/// Why a model could not be loaded.
public enum ModelLoadError: Error, Equatable, CustomStringConvertible {
    case unknown(String, builtins: [String])
    case unreadable(String)
    case malformed(String, reason: String)
    /// A file whose reading failed; the reason does not repeat the path (`FileFormatError.reason`).
    case invalidFile(String, reason: String)
    case unsupportedFile(String, kinds: [String])

    public var description: String {
        switch self {
        case let .unknown(name, builtins) where name.isEmpty:
            "the model name is empty; expected a built-in model (\(builtins.joined(separator: ", "))) or a .json or .safetensors file"
        case let .unknown(name, builtins):
            "unknown model '\(name)': not a built-in model (\(builtins.joined(separator: ", "))) and no such file"
        case let .invalidFile(path, reason): "model file \(path) \(reason)"
        case let .unreadable(path): "cannot read model file \(path)"
        case let .malformed(path, reason): "model file \(path): \(reason)"
        case let .unsupportedFile(path, kinds): "model file \(path): unsupported type; expected \(kinds.joined(separator: ", "))"
        }
    }
}
