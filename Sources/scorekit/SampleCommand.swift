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

    @Option(parsing: .unconditional, help: "The run seed.")
    var seed: Int = 0

    @Option(parsing: .unconditional, help: "Samples per batch (does not change the output).")
    var batch: Int = 10_000

    @Option(name: .customLong("init-noise"), help: "Standard-normal initial noise z (count × dims; .npy, .safetensors or .csv).")
    var initNoise: String?

    @Option(help: "Output file: .npy, .safetensors, .csv or .png.")
    var out: String?

    @Option(parsing: .unconditional, help: "Worker threads (default: every active core, here \(ActiveCores.count)); does not change the output.")
    var threads: Int?

    @Option(help: "Draw only shard K of N (K = 1…N): a contiguous share of the sample indices, merged with `scorekit merge`.")
    var shard: String?

    @Flag(help: "Print one JSON object with the run's summary on stdout.")
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

    /// What the options ask for, validated before any sampling.
    struct Plan {
        let loaded: LoadedModel
        let sampler: any Sampler
        let total: Int
        let shard: Shard?
        let range: Range<Int>
        let noise: Tensor?
        let outURL: URL?
    }

    private func execute() throws {
        let plan = try validatedPlan()
        ProcessTuning.apply()     // one BLAS thread per worker: the workers are the parallelism
        let job = SamplingJob(sampler: plan.sampler, model: plan.loaded.denoiser, count: plan.range.count, seed: UInt64(seed),
                              batchSize: batch, initialNoise: plan.noise, budget: nfe, firstIndex: plan.range.lowerBound,
                              noiseLevelEstimator: plan.loaded.noiseLevelEstimator, threads: threads ?? ActiveCores.count)
        let bar = TerminalProgress(label: plan.sampler.name)
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
        report(summary, plan: plan)
    }

    private func validatedPlan() throws -> Plan {
        if let count, count <= 0 { throw CLIError("--count must be positive, got \(count)") }
        if let nfe, nfe <= 0 { throw CLIError("--nfe must be positive, got \(nfe)") }
        guard batch > 0 else { throw CLIError("--batch must be positive, got \(batch)") }
        guard seed >= 0 else { throw CLIError("--seed must be non-negative, got \(seed)") }
        if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
        let parsedShard = try shard.map { text in
            do { return try Shard(parsing: text) } catch { throw CLIError(String(describing: error)) }
        }
        let outURL = out.map { URL(fileURLWithPath: $0) }
        if let outURL {
            guard ArrayFile.writable.contains(outURL.pathExtension.lowercased()) else {
                throw FileFormatError.unsupportedExtension(outURL.path, valid: ArrayFile.writable)
            }
            try AtomicFile.checkWritable(outURL)
        }
        if let parsedShard, !ArrayFileWriter.formats.contains(outURL?.pathExtension.lowercased() ?? "") {
            throw CLIError("--shard \(parsedShard) needs --out FILE.npy or FILE.safetensors (the formats `scorekit merge` joins), got \(out ?? "no --out")")
        }
        let loaded = try ModelLoader.load(model)
        var chosen = try SamplerCatalog.standard.sampler(sampler)
        if let nfe {
            do { chosen = try chosen.fitted(toNFE: nfe) } catch let error as SamplerSpecError {
                throw CLIError(error.describing(budgetAs: "--nfe"))
            }
        }
        chosen = chosen.resolved(for: loaded.denoiser)      // `auto` settings from the model: the spec says what runs
        let z = try initNoise.map { try readInitialNoise($0, shape: loaded.denoiser.sampleShape) }
        let total = count ?? z?.rows ?? 1000
        if let z, z.rows != total {
            throw CLIError("--init-noise \(initNoise!) has \(z.rows) rows but --count is \(total)")
        }
        if let outURL, outURL.pathExtension.lowercased() == "png", loaded.denoiser.sampleShape.count == 1,
           loaded.denoiser.dimension != 2 {
            throw CLIError("--out \(outURL.path): a .png shows 2-D points or images; \(model) samples have \(loaded.denoiser.dimension) dimensions")
        }
        if let parsedShard, parsedShard.count > total {
            throw CLIError("--shard \(parsedShard): \(parsedShard.count) shards of --count \(total) would leave shards empty; use at most \(total) shards")
        }
        let range = parsedShard?.range(of: total) ?? 0..<total
        return Plan(loaded: loaded, sampler: chosen, total: total, shard: parsedShard, range: range,
                    noise: z.map { range.count == total ? $0 : $0.rows(range) }, outURL: outURL)
    }

    private func readInitialNoise(_ path: String, shape: [Int]) throws -> Tensor {
        let z = try ArrayFile.read(URL(fileURLWithPath: path))
        let dimension = shape.reduce(1, *)
        guard z.rowSize == dimension else {
            throw CLIError("--init-noise \(path) has shape \(z.shape); expected rows of \(dimension) values (count × \(dimension)) for \(model)")
        }
        return z.reshaped([z.rows] + shape)
    }
}
