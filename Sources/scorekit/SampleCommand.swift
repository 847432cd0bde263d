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
            --batch gives the same output.
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

    private func execute() throws {
        if let count, count <= 0 { throw CLIError("--count must be positive, got \(count)") }
        if let nfe, nfe <= 0 { throw CLIError("--nfe must be positive, got \(nfe)") }
        guard batch > 0 else { throw CLIError("--batch must be positive, got \(batch)") }
        guard seed >= 0 else { throw CLIError("--seed must be non-negative, got \(seed)") }
        let outURL = out.map { URL(fileURLWithPath: $0) }
        if let outURL {
            guard ArrayFile.writable.contains(outURL.pathExtension.lowercased()) else {
                throw FileFormatError.unsupportedExtension(outURL.path, valid: ArrayFile.writable)
            }
            try AtomicFile.checkWritable(outURL)
        }

        let loaded = try ModelLoader.load(model)
        var chosen = try SamplerCatalog.standard.sampler(sampler)
        if let nfe { chosen = try chosen.fitted(toNFE: nfe) }
        let z = try initNoise.map { try readInitialNoise($0, shape: loaded.denoiser.sampleShape) }
        let total = count ?? z?.rows ?? 1000
        if let z, z.rows != total {
            throw CLIError("--init-noise \(initNoise!) has \(z.rows) rows but --count is \(total)")
        }
        if let outURL, outURL.pathExtension.lowercased() == "png", loaded.denoiser.sampleShape.count == 1,
           loaded.denoiser.dimension != 2 {
            throw CLIError("--out \(outURL.path): a .png shows 2-D points or images; \(model) samples have \(loaded.denoiser.dimension) dimensions")
        }

        let job = SamplingJob(sampler: chosen, model: loaded.denoiser, count: total, seed: UInt64(seed),
                              batchSize: batch, initialNoise: z, budget: nfe,
                              noiseLevelEstimator: loaded.noiseLevelEstimator)
        let bar = TerminalProgress(label: chosen.name)
        let result = try job.run { progress, step in
            bar.update(progress.fraction, detail: String(format: "σ=%.3g", step.sigma))
        }
        bar.finish()
        if let outURL { try ArrayFile.write(result.samples, to: outURL, metadata: ["sampler": chosen.spec, "model": model]) }
        report(result, sampler: chosen, count: total, wroteTo: outURL)
    }

    private func readInitialNoise(_ path: String, shape: [Int]) throws -> Tensor {
        let z = try ArrayFile.read(URL(fileURLWithPath: path))
        let dimension = shape.reduce(1, *)
        guard z.rowSize == dimension else {
            throw CLIError("--init-noise \(path) has shape \(z.shape); expected rows of \(dimension) values (count × \(dimension)) for \(model)")
        }
        return z.reshaped([z.rows] + shape)
    }

    private func report(_ result: SamplingResult, sampler: any Sampler, count: Int, wroteTo url: URL?) {
        let nfe = CountSummary(result.nfe), classifier = CountSummary(result.classifierCalls)
        if json {
            var object: [String: Any] = [
                "sampler": sampler.spec, "model": model, "count": count, "seed": seed,
                "nfe_per_sample": summary(nfe), "classifier_calls_per_sample": summary(classifier),
                "seconds": result.seconds, "out": url?.path ?? NSNull(), "blas": BLASInfo.current.jsonObject,
            ]
            if !result.nfeByPart.isEmpty {
                object["nfe_per_sample_by_part"] = result.nfeByPart.mapValues { summary(CountSummary($0)) }
            }
            if !result.sharedNFE.isEmpty {
                object["shared_nfe"] = result.sharedNFE
                object["amortised_nfe_per_sample"] = Double(result.sharedNFE.values.reduce(0, +)) / Double(count)
            }
            if !result.sharedClassifierCalls.isEmpty { object["shared_classifier_calls"] = result.sharedClassifierCalls }
            for (name, values) in result.diagnostics {
                object[name.replacingOccurrences(of: "-", with: "_")] = ["median": median(values), "mean": values.reduce(0, +) / Double(max(values.count, 1))]
            }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if url == nil { FileHandle.standardOutput.write(CSV.encode(result.samples)) }
        var lines = [
            "sampler     \(sampler.spec)",
            "model       \(model)",
            "samples     \(count) (seed \(seed))" + (url.map { " → \($0.path)" } ?? ""),
            String(format: "NFE/sample  %.4g (min %d, max %d)", nfe.mean, nfe.min, nfe.max),
        ]
        if classifier.max > 0 { lines.append(String(format: "classifier  %.4g calls/sample", classifier.mean)) }
        for (part, counts) in result.nfeByPart.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "  %@  %.4g NFE/sample", part, CountSummary(counts).mean))
        }
        for (label, total) in result.sharedNFE.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(label)  \(total) evaluations shared by all samples")
        }
        if !result.sharedNFE.isEmpty {
            lines.append(String(format: "amortised   %.4g shared NFE/sample", Double(result.sharedNFE.values.reduce(0, +)) / Double(count)))
        }
        for (name, values) in result.diagnostics.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "%@  median %.4g", name, median(values)))
        }
        lines.append(String(format: "time        %.3f s", result.seconds))
        let text = lines.joined(separator: "\n") + "\n"
        if url == nil { FileHandle.standardError.write(Data(text.utf8)) } else { print(text, terminator: "") }
    }

    private func summary(_ s: CountSummary) -> [String: Any] { ["mean": s.mean, "min": s.min, "max": s.max] }

    private func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : s[s.count / 2]
    }
}
