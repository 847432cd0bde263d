import ArgumentParser
import ScoreKit

/// `scorekit`: sample from diffusion and score-based models with any sampler.
@main
struct ScoreKitTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorekit",
        abstract: "Sample from diffusion and score-based generative models: one model, every sampler.",
        subcommands: [SampleCommand.self, SamplersCommand.self, ModelsCommand.self, TrainCommand.self, BenchCommand.self])
}

/// An error the tool reports as one line on stderr (ArgumentParser prints `Error: …`) with exit 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
