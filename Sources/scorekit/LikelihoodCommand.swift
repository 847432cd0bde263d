import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit likelihood`: log p(x) of data under a model through the probability-flow ODE.
struct LikelihoodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likelihood",
        abstract: "Log-likelihood of data under a model through the probability-flow ODE.",
        discussion: """
            Integrates each row of --data (or of the model's reference data, --reference) from \
            σ_min up to σ_max with an adaptive Dormand–Prince solver, carrying the divergence of \
            the flow, and adds the prior N(0, σ_max²·I): log p(x) per row in nats. The trace of the \
            denoiser's Jacobian is exact up to \(Likelihood.exactDimensionLimit) dimensions (one \
            vector–Jacobian product per dimension) and estimated above it from --probes Rademacher \
            vectors per row (Hutchinson; unbiased, noisy row by row). Prints the mean negative \
            log-likelihood (nats per sample) with its standard error, bits per dimension \
            nll/(d·ln 2), and the NFE used; --out writes the per-row log p(x). Discrete data \
            (digits: 17 grey levels, bin width 0.125 in [−1, 1]) want --dequantise WIDTH: uniform \
            noise within each bin, and the bits per dimension of the discrete data \
            (bpd − log₂ WIDTH, an upper bound in expectation).
            """)

    @Option(help: "A built-in model (see `scorekit models`), a checkpoint or a Gaussian-mixture JSON file.")
    var model = "gmm2d"

    @Option(help: "The data: rows of the model's samples (.npy, .safetensors or .csv).")
    var data: String?

    @Flag(help: "Use the model's reference data instead of --data: fresh exact draws (mixtures, 2-D checkpoints) or the held-out set (digits).")
    var reference = false

    @Option(parsing: .unconditional, help: "Rows to use: the first N of --data or of a held-out set, or N fresh draws (default 1000).")
    var count: Int?

    @Option(parsing: .unconditional, help: "The seed of Hutchinson's probes, fresh draws and dequantisation noise: 0…2⁶⁴−1.",
            transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(help: "exact or hutchinson (default: exact up to \(Likelihood.exactDimensionLimit) dimensions).")
    var divergence: String?

    @Option(parsing: .unconditional, help: "Rademacher probes per row for Hutchinson's estimator.")
    var probes: Int = 1

    @Option(parsing: .unconditional, help: "Relative tolerance of each step.")
    var rtol: Double = 1e-5

    @Option(parsing: .unconditional, help: "Absolute tolerance of each step.")
    var atol: Double = 1e-5

    @Option(name: .customLong("sigma-min"), parsing: .unconditional, help: "Where the integration starts (default: the model's σ range, else 0.002).")
    var sigmaMin: Double?

    @Option(name: .customLong("sigma-max"), parsing: .unconditional, help: "Where it ends and the prior is taken (default: the model's, else 80).")
    var sigmaMax: Double?

    @Option(parsing: .unconditional, help: "Bin width of discrete data: add uniform noise within each bin and report bits/dim of the discrete data.")
    var dequantise: Double?

    @Option(help: "Per-row log p(x) in nats: .npy, .safetensors or .csv.")
    var out: String?

    @Option(parsing: .unconditional, help: "Rows per batch (does not change the output).")
    var batch: Int = 256

    @Option(parsing: .unconditional, help: "Worker threads (default: every active core, here \(ActiveCores.count)).")
    var threads: Int?

    @Flag(help: "Print one JSON object with the results on stdout.")
    var json = false

    func run() throws {
        do {
            try execute()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(String(describing: error))
        }
    }

    private func execute() throws {
        let plan = try validatedPlan()
        ProcessTuning.apply()
        let bar = TerminalProgress(label: "likelihood", sparseLines: plan.isLarge)
        let start = Date()
        let result = try plan.settings.logLikelihood(of: plan.data, under: plan.model, seed: seed, batchSize: batch,
                                                     threads: threads ?? ActiveCores.count) { bar.update($0) }
        bar.finish()
        if let url = plan.outURL {
            try ArrayFile.write(Tensor(shape: [result.logLikelihood.count], scalars: result.logLikelihood.map(Float.init)), to: url)
        }
        report(result, plan: plan, seconds: Date().timeIntervalSince(start))
    }
}
