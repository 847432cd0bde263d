import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit merge`: join the shards of one sample run into the one-process file.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shard files of one `scorekit sample --shard K/N` run into the file one process would write.",
        discussion: """
            The shards (.npy with their NAME.npy.shard.json, or .safetensors) must come from the \
            same model, sampler, seed, count and shard count and cover every sample index exactly \
            once; anything else is refused, naming the file. The result is bit-identical to the \
            unsharded run's file. Rows are copied a block at a time (memory does not grow with the \
            count) into a temporary file renamed into place at the end. Warns when shards came from \
            different BLAS kernels.
            """)

    @Argument(help: "The merged file (.npy or .safetensors).")
    var out: String

    @Argument(help: "The shard files, in any order.")
    var shards: [String] = []

    func run() throws {
        guard !shards.isEmpty else { throw CLIError("merge: give the output file and at least one shard file") }
        do {
            let warnings = try ShardMerge.merge(shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out))
            for w in warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        } catch {
            throw CLIError(String(describing: error))
        }
        print("merged \(shards.count) shard\(shards.count == 1 ? "" : "s") → \(out)")
    }
}
