import Foundation
import ScoreKit

extension SampleCommand {
    /// The options checked and resolved before any sampling: every refusal is one line naming
    /// the argument, its value and what was expected. Warnings (too few steps for the sampler,
    /// work past the limit with --force) go to stderr.
    func validatedPlan() throws -> Plan {
        try RunSizeArguments.check(count: count, nfe: nfe, batch: batch, threads: threads)
        try ModelArgument.check(model)
        let parsedShard = try shard.map { text in
            do { return try Shard(parsing: text) } catch { throw CLIError(String(describing: error)) }
        }
        let outURL = try checkedOutput(shard: parsedShard)
        let loaded = try ModelLoader.load(model)
        var chosen = try SamplerCatalog.standard.sampler(sampler)
        if let nfe {
            do { chosen = try chosen.fitted(toNFE: nfe) } catch let error as SamplerSpecError {
                throw CLIError(error.describing(budgetAs: "--nfe"))
            }
        }
        chosen = chosen.resolved(for: loaded.denoiser)      // `auto` settings from the model: the spec says what runs
        let z = try initNoise.map { try readInitialNoise($0, shape: loaded.denoiser.sampleShape) }
        let start = try initialData(for: loaded.denoiser, sampler: chosen)
        if let start, let count, start.rows != count {
            throw CLIError("--init-data \(initData!) has \(start.rows) rows but --count is \(count)")
        }
        let total = count ?? start?.rows ?? z?.rows ?? 1000
        if let z, z.rows != total {
            throw CLIError("--init-noise \(initNoise!) has \(z.rows) rows but --count is \(total)")
        }
        let conditioned = try conditioning.resolved(for: loaded, name: model, total: total)
        if let outURL, outURL.pathExtension.lowercased() == "png", loaded.denoiser.sampleShape.count == 1,
           loaded.denoiser.dimension != 2 {
            throw CLIError("--out \(outURL.path): a .png shows 2-D points or images; \(model) samples have \(loaded.denoiser.dimension) dimensions")
        }
        if let parsedShard, parsedShard.count > total {
            throw CLIError("--shard \(parsedShard): \(parsedShard.count) shards of --count \(total) would leave shards empty; use at most \(total) shards")
        }
        let range = parsedShard?.range(of: total) ?? 0..<total
        let trajectory = try trajectoryOptions.validated(sampleShape: loaded.denoiser.sampleShape, model: model, count: range.count)
        if trajectory != nil, initData != nil {
            // The trajectory is redrawn from the initial noise alone; it would not show the edit.
            throw CLIError("--trajectory draws runs that start from noise; it cannot be combined with --init-data")
        }
        let work = try checkSize(of: range.count, model: loaded, sampler: chosen, out: outURL)
        for warning in [SamplerWarnings.tooFewSteps(chosen), work.warning].compactMap({ $0 }) + loaded.warnings(forSpec: chosen.spec) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        return Plan(loaded: loaded, sampler: chosen, total: total, shard: parsedShard, range: range,
                    noise: z.map { range.count == total ? $0 : $0.rows(range) }, conditioning: conditioned,
                    edit: start.map { .sdedit(data: range.count == total ? $0 : $0.rows(range), sigmaStart: sigmaStart!) },
                    outURL: outURL, isLarge: work.isLarge, trajectory: trajectory)
    }

    /// SDEdit's `--init-data`, checked with `--sigma-start`: both or neither, an integrator,
    /// 0 < S ≤ the model's σ_max, rows of the model's shape, finite values.
    private func initialData(for model: any Denoiser, sampler: any Sampler) throws -> Tensor? {
        switch (initData, sigmaStart) {
        case (nil, nil): return nil
        case (nil, .some): throw CLIError("--sigma-start needs --init-data (the data SDEdit starts from)")
        case (.some, nil): throw CLIError("--init-data needs --sigma-start (the noise level to start from, 0 < S ≤ \(model.sigmaRange.upperBound))")
        case let (.some(path), .some(sigma)):
            guard sampler is any Integrator else {
                throw CLIError("--init-data: \(sampler.name) cannot start part-way down the noise scale; use one of: \(SamplerCatalog.standard.integratorNames.joined(separator: ", "))")
            }
            guard sigma.isFinite, sigma > 0, sigma <= model.sigmaRange.upperBound else {
                throw CLIError("--sigma-start must be finite, above 0 and at most the model's σ_max = \(model.sigmaRange.upperBound), got \(sigma)")
            }
            let x = try DataArgument.read(path, flag: "--init-data", shape: model.sampleShape)
            try DataArgument.checkFinite(x, mask: nil, flag: "--init-data", path: path)
            return x
        }
    }

    /// `--out` checked: a known extension, a writable folder, and a format `--shard` can merge.
    private func checkedOutput(shard: Shard?) throws -> URL? {
        let outURL = out.map { URL(fileURLWithPath: $0) }
        if let outURL {
            guard ArrayFile.writable.contains(outURL.pathExtension.lowercased()) else {
                throw FileFormatError.unsupportedExtension(outURL.path, valid: ArrayFile.writable)
            }
            try AtomicFile.checkWritable(outURL)
        }
        if let shard, !ArrayFileWriter.formats.contains(outURL?.pathExtension.lowercased() ?? "") {
            throw CLIError("--shard \(shard) needs --out FILE.npy or FILE.safetensors (the formats `scorekit merge` joins), got \(out ?? "no --out")")
        }
        return outURL
    }

    /// Refuses output or memory past `RunLimits`, and planned work past it without --force;
    /// returns the warning for forced work and whether the work is large.
    private func checkSize(of drawn: Int, model: LoadedModel, sampler: any Sampler,
                           out: URL?) throws -> (warning: String?, isLarge: Bool) {
        let streamed = out.map { ArrayFileWriter.formats.contains($0.pathExtension.lowercased()) } ?? false
        let size = OutputSizeCheck(count: drawn, valuesPerSample: model.denoiser.dimension, streamed: streamed)
        try size.check(what: "--count \(count.map(String.init) ?? "\(drawn) (the default)")", out: out,
                       freeBytes: out.flatMap { RunLimits.freeBytes(of: $0.deletingLastPathComponent()) },
                       memoryLimit: RunLimits.memoryLimit)
        let work = WorkCheck(nfePerSample: sampler.plannedNFE ?? nfe, count: drawn)
        return (try work.check(sampler.spec, force: force), work.isLarge)
    }

    /// The `--init-noise` file as `[rows] + shape`: refused, naming the file, when it has no
    /// rows, rows of the wrong size, or a value that is not finite (naming the first such row).
    private func readInitialNoise(_ path: String, shape: [Int]) throws -> Tensor {
        let z: Tensor
        do { z = try ArrayFile.read(URL(fileURLWithPath: path)) } catch { throw CLIError("--init-noise: \(error)") }
        let dimension = shape.reduce(1, *)
        guard z.rows > 0 else {
            throw CLIError("--init-noise \(path) has 0 rows; expected one row of \(dimension) values per sample")
        }
        guard z.rowSize == dimension else {
            throw CLIError("--init-noise \(path) has shape \(z.shape); expected rows of \(dimension) values (count × \(dimension)) for \(model)")
        }
        if let bad = z.scalars.firstIndex(where: { !$0.isFinite }) {
            throw CLIError("--init-noise \(path): row \(bad / dimension) (counting from 0) holds \(z.scalars[bad]); "
                           + "initial noise must be finite standard-normal values")
        }
        return z.reshaped([z.rows] + shape)
    }
}
