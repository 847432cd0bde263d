import Dispatch
import Foundation
import ScoreKit

extension SampleCommand {
    /// The metadata of the output file: the run, the shard and its indices.
    func metadata(_ plan: Plan) throws -> SampleFileMetadata {
        SampleFileMetadata(model: model, sampler: plan.sampler.spec, seed: UInt64(seed), count: plan.total,
                           shard: try plan.shard ?? Shard(1, of: 1), indices: plan.range, blasKernel: BLASKernel.name,
                           conditioning: plan.conditioning.summary)
    }

    /// Runs the job into a `.npy` or `.safetensors` file as batches finish. Nothing appears
    /// under the file's name until the last row is written; an error, SIGINT or SIGTERM
    /// removes the temporary file. A shard's `.npy` gets its metadata in a sidecar, written
    /// after the file (a stale sidecar is removed first, so the pair never disagrees).
    func stream(_ job: SamplingJob, plan: Plan, to url: URL,
                progress: @escaping (SamplingJob.Progress, SamplingProgress) -> Void) throws -> SamplingSummary {
        let info = try metadata(plan)
        let sidecar = SampleFileMetadata.sidecar(of: url)
        let isNPY = url.pathExtension.lowercased() == "npy"
        if isNPY, plan.shard != nil, FileManager.default.fileExists(atPath: sidecar.path) {
            try FileManager.default.removeItem(at: sidecar)
        }
        let writer = try ArrayFileWriter(url: url, shape: [plan.range.count] + plan.loaded.denoiser.sampleShape,
                                         metadata: info.dictionary)
        let cleanup = InterruptCleanup(removing: writer.temporaryPath)
        defer { cleanup.cancel() }
        let summary: SamplingSummary
        do {
            summary = try job.run(into: writer, progress: progress)
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
        if isNPY, plan.shard != nil { try AtomicFile.write(info.sidecarData, to: sidecar) }
        return summary
    }

    /// Prints the summary: one JSON object with --json, else lines (on stderr when the samples
    /// went to stdout).
    func report(_ s: SamplingSummary, plan: Plan) {
        let url = plan.outURL
        if let warning = Self.earlyStopWarning(s.earlyStops, count: s.count, budget: nfe, sampler: plan.sampler.name) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        if json {
            var object: [String: Any] = [
                "sampler": plan.sampler.spec, "model": model, "count": plan.total, "seed": seed,
                "nfe_per_sample": summary(s.nfe), "network_rows_per_sample": summary(s.networkRows),
                "classifier_calls_per_sample": summary(s.classifierCalls),
                "seconds": s.seconds, "out": url?.path ?? NSNull(), "blas": BLASInfo.current.jsonObject,
                "network_kernel": NetworkGEMM.kernelName,
            ]
            for (key, value) in plan.conditioning.record { object[key] = value }
            if let shard = plan.shard {
                object["shard"] = shard.description
                object["indices"] = [plan.range.lowerBound, plan.range.upperBound]
            }
            if !s.nfeByPart.isEmpty { object["nfe_per_sample_by_part"] = s.nfeByPart.mapValues(summary) }
            if !s.sharedNFE.isEmpty {
                object["shared_nfe"] = s.sharedNFE
                object["amortised_nfe_per_sample"] = s.amortisedSharedNFE
            }
            if !s.sharedClassifierCalls.isEmpty { object["shared_classifier_calls"] = s.sharedClassifierCalls }
            let stops = s.earlyStops
            object["stopped_early"] = ["count": stops.count, "sigma_min": stops.sigmaMin, "sigma_mean": stops.sigmaMean,
                                       "sigma_max": stops.sigmaMax]
            for (name, v) in s.diagnostics {
                object[name.replacingOccurrences(of: "-", with: "_")] = ["median": v.median, "mean": v.mean]
            }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let text = lines(s, plan: plan).joined(separator: "\n") + "\n"
        if url == nil { FileHandle.standardError.write(Data(text.utf8)) } else { print(text, terminator: "") }
    }

    private func lines(_ s: SamplingSummary, plan: Plan) -> [String] {
        let shardText = plan.shard.map { ", shard \($0): samples \(plan.range.lowerBound)..<\(plan.range.upperBound)" } ?? ""
        var lines = [
            "sampler     \(plan.sampler.spec)",
            "model       \(model)",
            "samples     \(plan.total) (seed \(seed)\(shardText))" + (plan.outURL.map { " → \($0.path)" } ?? ""),
            String(format: "NFE/sample  %.4g (min %d, max %d)", s.nfe.mean, s.nfe.min, s.nfe.max),
        ]
        if let text = plan.conditioning.summary { lines.insert("condition   \(text)", at: 2) }
        if s.networkRows != s.nfe {
            lines.append(String(format: "network     %.4g rows/sample (min %d, max %d): guidance evaluates two rows per call",
                                s.networkRows.mean, s.networkRows.min, s.networkRows.max))
        }
        if s.classifierCalls.max > 0 { lines.append(String(format: "classifier  %.4g calls/sample", s.classifierCalls.mean)) }
        for (part, counts) in s.nfeByPart.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "  %@  %.4g NFE/sample", part, counts.mean))
        }
        for (label, total) in s.sharedNFE.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(label)  \(total) evaluations shared by all samples")
        }
        if !s.sharedNFE.isEmpty { lines.append(String(format: "amortised   %.4g shared NFE/sample", s.amortisedSharedNFE)) }
        for (name, v) in s.diagnostics.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "%@  median %.4g", name, v.median))
        }
        if s.earlyStops.count > 0 {
            lines.append(String(format: "stopped     %d samples early (budget), at σ %.4g…%.4g", s.earlyStops.count,
                                s.earlyStops.sigmaMin, s.earlyStops.sigmaMax))
        }
        lines.append(String(format: "time        %.3f s", s.seconds))
        return lines
    }

    /// The warning for samples an adaptive sampler stopped short of its integration because the
    /// budget ran out, or nil when none did.
    static func earlyStopWarning(_ stops: EarlyStopSummary, count: Int, budget: Int?, sampler: String) -> String? {
        guard stops.count > 0 else { return nil }
        let budgetText = budget.map { "the budget of \($0) NFE" } ?? "the budget"
        return "\(sampler): \(stops.count) of \(count) samples ran out of \(budgetText) and were denoised early, from σ "
            + String(format: "%.4g…%.4g (mean %.4g)", stops.sigmaMin, stops.sigmaMax, stops.sigmaMean)
            + "; raise --nfe or loosen the tolerances (rtol/atol)"
    }

    private func summary(_ s: CountSummary) -> [String: Any] { ["mean": s.mean, "min": s.min, "max": s.max] }
}

/// While a file is being written: on SIGINT or SIGTERM (Ctrl-C, a scheduler's preemption),
/// removes its temporary file and exits with 128 + the signal, so nothing half-written is left.
final class InterruptCleanup {
    private var sources: [DispatchSourceSignal] = []

    init(removing path: String) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                unlink(path)
                _exit(128 + sig)      // not exit(): atexit teardown would race the workers still in BLAS
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default handling.
    func cancel() {
        for s in sources { s.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
