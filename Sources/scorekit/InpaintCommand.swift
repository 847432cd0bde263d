import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit inpaint`: fill in the unknown values of data with any sampler.
struct InpaintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inpaint",
        abstract: "Fill in the masked-out values of data with a sampler (known values kept to the bit).",
        discussion: """
            --data holds one sample per row (.npy, .safetensors, .csv) or images (.png: one image \
            of the model's size or a grid as scorekit writes them; grey 0…255 maps to −1…1). \
            --mask has the data's shape (one row for all, or one per row): 1 (white in a .png) \
            marks a known value, 0 (black) one to generate. After every step of the sampler the \
            known values are replaced by the data noised to the step's σ (score SDE's inpainter); \
            --resample U redoes each group of --jump steps U more times from re-noised states \
            (RePaint), so the NFE per sample is (U + 1) × the sampler's. --reconstruction W steers \
            every estimate towards the known values through the network's backward pass \
            (reconstruction guidance; each call then costs a forward and a backward pass): \
            completions that belong to the data, not just to the model. Writes --out (.npy, \
            .safetensors, .csv or .png) atomically, or CSV on stdout. Row i depends only on \
            (seed, i, its data).
            """)

    @Option(help: "A built-in model (see `scorekit models`) or a model file.")
    var model = "digits"

    @Option(help: "The data: .npy, .safetensors, .csv or .png.")
    var data: String

    @Option(help: "The mask (1 = known, 0 = generate): the data's shape, one row for all or one per row.")
    var mask: String

    @Option(help: "A sampler spec (see `scorekit samplers`).")
    var sampler = "ddpm"

    @Option(parsing: .unconditional, help: "The most denoiser calls per sample of one pass; sets the sampler's steps.")
    var nfe: Int?

    @Option(parsing: .unconditional, help: "RePaint: redo every group of steps U more times (0: plain replacement).")
    var resample = 0

    @Option(parsing: .unconditional, help: "RePaint's jump length: steps per resampled group.")
    var jump = 1

    @Option(parsing: .unconditional, help: "Reconstruction guidance weight (0: replacement alone; 8 suits the digits models).")
    var reconstruction = 0.0

    @Option(parsing: .unconditional, help: "The run seed: 0…2⁶⁴−1.", transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Samples per batch (does not change the output).")
    var batch: Int = 10_000

    @Option(parsing: .unconditional, help: "Worker threads (default: every active core); does not change the output.")
    var threads: Int?

    @Option(help: "Output file: .npy, .safetensors, .csv or .png.")
    var out: String?

    func run() throws {
        do { try execute() } catch let error as CLIError { throw error } catch { throw CLIError(String(describing: error)) }
    }

    private func execute() throws {
        try RunSizeArguments.check(nfe: nfe, batch: batch, threads: threads)
        guard resample >= 0 else { throw CLIError("--resample must be 0 or more, got \(resample)") }
        guard jump >= 1 else { throw CLIError("--jump must be at least 1, got \(jump)") }
        guard reconstruction.isFinite, reconstruction >= 0 else { throw CLIError("--reconstruction must be a finite number ≥ 0, got \(reconstruction)") }
        try ModelArgument.check(model)
        let outURL = try out.map { path in
            let url = URL(fileURLWithPath: path)
            guard ArrayFile.writable.contains(url.pathExtension.lowercased()) else {
                throw FileFormatError.unsupportedExtension(url.path, valid: ArrayFile.writable)
            }
            try AtomicFile.checkWritable(url)
            return url
        }
        let loaded = try ModelLoader.load(model)
        let shape = loaded.denoiser.sampleShape
        let y = try DataArgument.read(data, flag: "--data", shape: shape)
        let m = try DataArgument.readMask(mask, shape: shape, rows: y.rows)
        try DataArgument.checkFinite(y, mask: m, flag: "--data", path: data)
        var chosen = try SamplerCatalog.standard.sampler(sampler)
        if let nfe {
            do { chosen = try chosen.fitted(toNFE: nfe) } catch let error as SamplerSpecError {
                throw CLIError(error.describing(budgetAs: "--nfe"))
            }
        }
        chosen = chosen.resolved(for: loaded.denoiser)
        if resample > 0, chosen is DLG { throw CLIError("--resample: \(chosen.name) cannot redo a step (its chains' counts are shared); use --resample 0 or another sampler") }
        ProcessTuning.apply()
        var job = SamplingJob(sampler: chosen, model: loaded.denoiser, count: y.rows, seed: seed, batchSize: batch,
                              noiseLevelEstimator: loaded.noiseLevelEstimator, threads: threads ?? ActiveCores.count)
        job.edit = .inpaint(try KnownValues(data: y, mask: m), Resampling(resample: resample, jump: jump),
                              guidance: reconstruction)
        let result = try job.run()
        if let outURL { try ArrayFile.write(result.samples, to: outURL) } else { FileHandle.standardOutput.write(CSV.encode(result.samples)) }
        let text = [
            "sampler     \(chosen.spec)" + (resample > 0 ? " (RePaint: resample \(resample), jump \(jump))" : "")
                + (reconstruction > 0 ? " (reconstruction guidance \(reconstruction))" : ""),
            "model       \(model)",
            "inpainted   \(y.rows) samples (seed \(seed))" + (outURL.map { " → \($0.path)" } ?? ""),
            String(format: "NFE/sample  %.4g", result.summary.nfe.mean) + (reconstruction > 0 ? " (each call with one backward pass)" : ""),
            String(format: "time        %.3f s", result.seconds),
        ].joined(separator: "\n") + "\n"
        if outURL == nil { FileHandle.standardError.write(Data(text.utf8)) } else { print(text, terminator: "") }
    }
}
