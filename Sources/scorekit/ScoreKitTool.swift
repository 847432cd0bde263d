import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit`: sample from diffusion and score-based models with any sampler.
@main
struct ScoreKitTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorekit",
        abstract: "Sample from diffusion and score-based generative models: one model, every sampler.",
        subcommands: [SampleCommand.self, InpaintCommand.self, ForwardCommand.self, MergeCommand.self, CompareCommand.self, LikelihoodCommand.self, SamplersCommand.self, ModelsCommand.self, TrainCommand.self, BenchCommand.self])

    /// Runs the command; any error — a bad option value included — is one line on stderr and a
    /// non-zero exit (`ErrorLine`: a value's line breaks are escaped, not cut). Help and
    /// version requests print as usual.
    static func main() {
        do {
            var command = try parseAsRoot()
            if command is any BLASCommand { ProcessTuning.configureBLAS() }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let line = ErrorLine.text(self.message(for: error), ownMessage: error is CLIError,
                                      arguments: Array(CommandLine.arguments.dropFirst()))
            FileHandle.standardError.write(Data("Error: \(line)\n".utf8))
            exit(withError: ExitCode(code.rawValue))
        }
    }
}

/// An error the tool reports as one line on stderr (ArgumentParser prints `Error: …`) with exit 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
