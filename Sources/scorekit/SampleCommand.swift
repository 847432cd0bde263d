import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit sample`: draw samples from a model with a sampler.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a model with a sampler.",
        discussion: """
            Writes the samples to --out (.npy, .safetensors, .csv, or .png: a scatter plot of 2-D \
            samples or a grid of images) and prints a summary; without --out the samples go to \
            stdout as CSV and the summary to stderr. Sample i depends only on (seed, i): any \
            --batch, --threads or --shard split gives the same output. .npy and .safetensors are \
            written as batches finish (memory grows with --batch × --threads, not --count), into \
            a temporary file renamed into place at the end; .csv, .png and stdout collect every \
            sample first. With --shard K/N only shard K's samples are drawn (contiguous index \
            ranges), with the run recorded in the file (safetensors __metadata__, or NAME.npy.shard.json \
            beside a .npy) for `scorekit merge`.
            """)

    @Option(help: "A built-in model (see `scorekit models`) or a Gaussian-mixture JSON file.")
    var model = "gmm2d"

    @Option(help: "A sampler spec: name or name:key=value,… (see `scorekit samplers`).")
    var sampler = "ddim"

    @Option(parsing: .unconditional, help: "The most denoiser calls per sample; sets the sampler's steps.")
    var nfe: Int?

    @Option(parsing: .unconditional, help: "How many samples (default 1000, or the rows of --init-noise).")
    var count: Int?

    @Option(parsing: .unconditional, help: "The run seed: 0…2⁶⁴−1.", transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Samples per batch (does not change the output).")
    var batch: Int = 10_000

    @Option(name: .customLong("init-noise"), help: "Standard-normal initial noise z (count × dims; .npy, .safetensors or .csv).")
    var initNoise: String?

    @Option(name: .customLong("init-data"), help: "SDEdit: data to start from (.npy, .safetensors, .csv or .png), noised to --sigma-start.")
    var initData: String?

    @Option(name: .customLong("sigma-start"), parsing: .unconditional, help: "SDEdit: the noise level the --init-data start at (0 < S ≤ the model's σ_max).")
    var sigmaStart: Double?

    @Option(help: "Output file: .npy, .safetensors, .csv or .png.")
    var out: String?

    @Option(parsing: .unconditional, help: "Worker threads (default: every active core, here \(ActiveCores.count)); does not change the output.")
    var threads: Int?

    @Option(help: "Draw only shard K of N (K = 1…N): a contiguous share of the sample indices, merged with `scorekit merge`.")
    var shard: String?

    @OptionGroup(title: "Trajectory pictures")
    var trajectoryOptions: TrajectoryOptions

    @OptionGroup(title: "Class labels and guidance (conditional models)")
    var conditioning: ConditioningOptions

    @Flag(help: "Print one JSON object with the run's summary on stdout.")
    var json = false

    @Flag(help: "Start even when the planned denoiser evaluations (NFE × count) exceed the limit (10¹⁰).")
    var force = false

    func run() throws {
        do {
            try execute()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(String(describing: error))
        }
    }

    /// What the options ask for, validated before any sampling.
    struct Plan {
        let loaded: LoadedModel
        let sampler: any Sampler
        let total: Int
        let shard: Shard?
        let range: Range<Int>
        let noise: Tensor?
        /// The labels, and the denoiser to sample (the model or a guidance wrapper around it).
        let conditioning: ConditioningOptions.Resolved
        /// SDEdit's data (the drawn range's rows) and σ_start, if asked for.
        let edit: SamplingEdit?
        let outURL: URL?
        /// Whether the planned work is large enough for progress lines in a log too.
        let isLarge: Bool
        /// The trajectory picture asked for, if any.
        let trajectory: TrajectoryOptions.Plan?
    }

    private func execute() throws {
        let plan = try validatedPlan()
        ProcessTuning.apply()     // one BLAS thread per worker: the workers are the parallelism
        var job = SamplingJob(sampler: plan.sampler, model: plan.conditioning.denoiser, count: plan.range.count, seed: seed,
                              batchSize: batch, initialNoise: plan.noise, budget: nfe, firstIndex: plan.range.lowerBound,
                              noiseLevelEstimator: plan.loaded.noiseLevelEstimator, threads: threads ?? ActiveCores.count,
                              labels: plan.conditioning.labels)
        job.edit = plan.edit
        let bar = TerminalProgress(label: plan.sampler.name, sparseLines: plan.isLarge)
        let progress = { (p: SamplingJob.Progress, step: SamplingProgress) in
            bar.update(p.fraction, detail: String(format: "σ=%.3g", step.sigma))
        }
        let summary: SamplingSummary
        if let outURL = plan.outURL, ArrayFileWriter.formats.contains(outURL.pathExtension.lowercased()) {
            summary = try stream(job, plan: plan, to: outURL, progress: progress)
        } else {
            let result = try job.run(progress: progress)
            bar.finish()
            if let outURL = plan.outURL { try ArrayFile.write(result.samples, to: outURL) }
            else if !json { FileHandle.standardOutput.write(CSV.encode(result.samples)) }
            summary = result.summary
        }
        bar.finish()
        try writeTrajectory(plan)
        report(summary, plan: plan)
    }

    /// Draws the trajectory of the run's first samples (the same noise, so the same samples).
    private func writeTrajectory(_ plan: Plan) throws {
        guard let trajectory = plan.trajectory else { return }
        let model = plan.loaded
        let capture = TrajectoryCapture(sampler: plan.sampler, model: plan.conditioning.denoiser, seed: seed, budget: nfe,
                                        noiseLevelEstimator: model.noiseLevelEstimator, labels: plan.conditioning.labels)
        let reference = model.denoiser.sampleShape == [2]
            ? try model.referenceData?.draw(count: 2000, seed: seed, firstIndex: 0) : nil
        let indices = Array(plan.range.lowerBound..<(plan.range.lowerBound + trajectory.rows))
        if let note = try trajectory.write(capture: capture, indices: indices, initialNoise: plan.noise?.rows(0..<trajectory.rows),
                                           reference: reference) {
            FileHandle.standardError.write(Data("\(note)\n".utf8))
        }
    }
}
