import Foundation
import ScoreKit

extension LikelihoodCommand {
    /// What the options ask for, checked before any work.
    struct Plan {
        let loaded: LoadedModel
        let model: any DifferentiableDenoiser
        let settings: Likelihood
        let data: Tensor
        /// Where the rows came from, for the report.
        let source: String
        let outURL: URL?
        let isLarge: Bool
    }

    /// Every refusal is one line naming the argument, its value and what was expected.
    func validatedPlan() throws -> Plan {
        try RunSizeArguments.check(count: count, batch: batch, threads: threads)
        if let dequantise, !(dequantise > 0 && dequantise.isFinite) {
            throw CLIError("--dequantise must be a positive bin width, got \(dequantise)")
        }
        guard (data != nil) != reference else {
            throw CLIError(reference ? "give --data FILE or --reference, not both" : "give the data: --data FILE, or --reference for the model's reference data")
        }
        let settings = try checkedSettings()
        let outURL = try out.map { path in
            let url = URL(fileURLWithPath: path)
            guard ArrayFile.readable.contains(url.pathExtension.lowercased()) else {
                throw CLIError("--out \(path): expected a .npy, .safetensors or .csv file for the per-row log-likelihoods")
            }
            try AtomicFile.checkWritable(url)
            return url
        }
        try ModelArgument.check(model)
        let loaded = try ModelLoader.load(model)
        guard let differentiable = loaded.denoiser as? any DifferentiableDenoiser else {
            throw CLIError("model \(model) gives no vector–Jacobian products, which the likelihood needs (exact mixtures and ScoreKit checkpoints do)")
        }
        var (rows, source) = try data.map { (try readData($0, model: differentiable), $0) } ?? referenceRows(loaded)
        if let dequantise { rows = Self.dequantised(rows, binWidth: dequantise, seed: seed) }
        let resolved = settings.resolved(for: differentiable)
        let evaluations = Double(rows.rows) * Double(1 + resolved.productsPerEvaluation(dimension: differentiable.dimension)) * 150
        return Plan(loaded: loaded, model: differentiable, settings: settings, data: rows, source: source, outURL: outURL,
                    isLarge: evaluations >= RunLimits.largeEvaluations)
    }

    /// The solver's settings from the options.
    private func checkedSettings() throws -> Likelihood {
        let kind = try divergence.map { name in
            guard let kind = Likelihood.Divergence(rawValue: name) else {
                throw CLIError("--divergence '\(name)' is not known; expected exact or hutchinson")
            }
            return kind
        }
        for (name, value) in [("--rtol", rtol), ("--atol", atol)] where !(value > 0 && value <= 1) {
            throw CLIError("\(name) must be in (0, 1], got \(value)")
        }
        for (name, value) in [("--sigma-min", sigmaMin), ("--sigma-max", sigmaMax)] {
            if let value, !(value > 0 && value.isFinite) { throw CLIError("\(name) must be a positive number, got \(value)") }
        }
        if let sigmaMin, let sigmaMax, sigmaMin >= sigmaMax {
            throw CLIError("--sigma-min \(sigmaMin) must be below --sigma-max \(sigmaMax)")
        }
        guard (1...10_000).contains(probes) else { throw CLIError("--probes must be in 1…10000, got \(probes)") }
        let settings = Likelihood(rtol: rtol, atol: atol, sigmaMin: sigmaMin, sigmaMax: sigmaMax, divergence: kind, probes: probes)
        do { return try settings.validated() } catch { throw CLIError(String(describing: error)) }
    }

    /// `--data` as `[rows] + sampleShape` (its first `--count` rows): refused, naming the file,
    /// when it has no rows, rows of the wrong size, or a value that is not finite.
    private func readData(_ path: String, model: any Denoiser) throws -> Tensor {
        let x: Tensor
        do { x = try ArrayFile.read(URL(fileURLWithPath: path)) } catch { throw CLIError("--data: \(error)") }
        let d = model.dimension
        guard x.rows > 0 else { throw CLIError("--data \(path) has 0 rows; expected rows of \(d) values") }
        guard x.rowSize == d else {
            throw CLIError("--data \(path) has shape \(x.shape); \(self.model) samples have \(d) values (shape \(model.sampleShape)), so expected rows × \(d)")
        }
        if let bad = x.scalars.firstIndex(where: { !$0.isFinite }) {
            throw CLIError("--data \(path): row \(bad / d) (counting from 0) holds \(x.scalars[bad]); data must be finite")
        }
        let rows = x.reshaped([x.rows] + model.sampleShape)
        return count.map { rows.rows(0..<min($0, rows.rows)) } ?? rows
    }

    /// The model's reference data: a finite held-out set (its first `--count` rows, default
    /// all), or `--count` fresh draws (default 1000) of `--seed`.
    private func referenceRows(_ loaded: LoadedModel) throws -> (Tensor, String) {
        guard let reference = loaded.referenceData else {
            throw CLIError("model \(model) has no reference data; give --data FILE")
        }
        if let rows = reference.finiteRows {
            let n = min(count ?? rows.rows, rows.rows)
            return (rows.rows(0..<n), "\(n) of the \(rows.rows) held-out rows")
        }
        let n = count ?? 1000
        return (try reference.draw(count: n, seed: seed, firstIndex: 0), "\(n) fresh draws (seed \(seed))")
    }

    /// Each value moved by uniform noise within its bin, `U(−w/2, w/2)`, value j of row i from
    /// (seed, i, j) in the `auxiliary` stream.
    static func dequantised(_ x: Tensor, binWidth: Double, seed: UInt64) -> Tensor {
        let streams = RandomStreams(seed: seed), n = x.rowSize
        var out = x
        for i in 0..<x.rows {
            for block in 0..<((n + 3) / 4) {
                let u = streams.uniforms(stream: RandomStreamID.auxiliary, sample: i, block: block)
                for k in 0..<4 where block * 4 + k < n {
                    out.scalars[i * n + block * 4 + k] += Float((u[k] - 0.5) * binWidth)
                }
            }
        }
        return out
    }
}
