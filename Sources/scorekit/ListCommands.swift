import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit samplers`: every sampler with its keys, defaults and NFE rule.
struct SamplersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samplers", abstract: "List the samplers with their keys, defaults and NFE rules.")

    func run() throws {
        for d in SamplerCatalog.standard.descriptions {
            print("\(d.name) — \(d.summary)")
            print("  paper: \(d.reference)")
            print("  NFE:   \(d.nfeRule)")
            let width = d.options.map(\.key.count).max() ?? 0
            for option in d.options {
                let name = option.key.padding(toLength: width, withPad: " ", startingAt: 0)
                print("  \(name)  = \(option.defaultValue)  (\(option.values))  \(option.help)")
            }
            print("")
        }
        print("A spec is name or name:key=value,… — for example ddim:steps=20,eta=0.5")
    }
}

/// `scorekit models`: the built-in models, a line each with its cost per call; model files
/// named as arguments are described too.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the built-in models (and describe model files).")

    @Argument(help: "Model files (.json mixtures, .safetensors checkpoints) to describe as well.")
    var files: [String] = []

    @Flag(help: "Print a JSON array (name, kind, summary, cost per call and sample) on stdout.")
    var json = false

    func run() throws {
        // A model that cannot be loaded here (a shipped checkpoint without its bundle) is listed without a cost.
        var rows: [(name: String, kind: String, summary: String, cost: ModelCost?, labels: Int?)] = BuiltinModels.all.map {
            let loaded = try? $0.load()
            return ($0.name, $0.kind, $0.summary, loaded?.cost, loaded?.labelCount)
        }
        for file in files {
            let model: LoadedModel
            do { model = try ModelLoader.load(file) } catch { throw CLIError(String(describing: error)) }
            let kind = model.mixture == nil ? "file" : "exact"
            let summary = model.mixture.map { "Gaussian mixture, \($0.componentCount) components in \($0.dimension)-D" } ?? "checkpoint"
            rows.append((file, kind, summary, model.cost, model.labelCount))
        }
        if json {
            let objects = rows.map { row -> [String: Any] in
                ["name": row.name, "kind": row.kind, "summary": row.summary,
                 "denoiser_flops": row.cost.map { $0.denoiserFlops as Any } ?? NSNull(),
                 "noise_level_flops": row.cost?.noiseLevelFlops.map { $0 as Any } ?? NSNull(),
                 "labels": row.labels.map { $0 as Any } ?? NSNull()]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let width = rows.map(\.name.count).max() ?? 0
        for row in rows {
            print("\(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(row.kind.padding(toLength: 7, withPad: " ", startingAt: 0))  \(row.summary)")
            if let cost = row.cost { print("\(String(repeating: " ", count: width + 11))cost per call: \(cost.summary)") }
            if let labels = row.labels {
                print("\(String(repeating: " ", count: width + 11))conditional: --label 0…\(labels - 1), --guidance, --classifier-guidance")
            }
        }
        print("\n--model also takes a file: a ScoreKit checkpoint (.safetensors, from `scorekit train` or scripts/torch),")
        print("or a Gaussian mixture as JSON, {\"kind\":\"gaussian-mixture\",\"weights\":[…],\"means\":[[…],…],\"stds\":[[…],…]}")
        print("(optional \"classes\":[…], a class label per component; by default each component is its own class).")
    }
}
