import ArgumentParser
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

/// `scorekit models`: the built-in models, a line each.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the built-in models.")

    func run() throws {
        let width = BuiltinModels.all.map(\.name.count).max() ?? 0
        for entry in BuiltinModels.all {
            print("\(entry.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.kind.padding(toLength: 7, withPad: " ", startingAt: 0))  \(entry.summary)")
        }
        print("\n--model also takes a file: a ScoreKit checkpoint (.safetensors, from `scorekit train` or scripts/torch),")
        print("or a Gaussian mixture as JSON, {\"kind\":\"gaussian-mixture\",\"weights\":[…],\"means\":[[…],…],\"stds\":[[…],…]}")
    }
}
