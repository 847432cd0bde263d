import Foundation
import ScoreKit

extension LikelihoodCommand {
    /// Prints the results: one JSON object with --json, else lines.
    func report(_ r: LikelihoodResult, plan: Plan, seconds: Double) {
        let settings = plan.settings.resolved(for: plan.model)
        let exact = dequantise == nil ? plan.loaded.mixture.map { ExactComparison(r, truth: $0.logDensity(plan.data)) } : nil
        let discreteBPD = dequantise.map { r.bitsPerDimension - log2($0) }
        if json {
            var object: [String: Any] = [
                "model": model, "rows": r.logLikelihood.count, "data": plan.source, "seed": seed,
                "nll_mean": r.nllMean, "nll_stderr": r.nllStandardError, "bpd": r.bitsPerDimension, "dimension": r.dimension,
                "nfe_per_sample": summary(r.nfe), "vjp_per_sample": summary(r.vectorJacobianProducts),
                "divergence": settings.divergence!.rawValue, "rtol": settings.rtol, "atol": settings.atol,
                "sigma_min": settings.sigmaMin!, "sigma_max": settings.sigmaMax!, "seconds": seconds,
                "out": plan.outURL?.path ?? NSNull(),
            ]
            if settings.divergence == .hutchinson { object["probes"] = settings.probes }
            if let dequantise, let discreteBPD {
                object["dequantise"] = dequantise
                object["bpd_discrete"] = discreteBPD
            }
            if let exact {
                object["exact_nll_mean"] = exact.nllMean
                object["gap_per_dim"] = exact.gapPerDimension
                object["row_error"] = ["sd": exact.rowSD, "max_abs": exact.rowMaxAbs]
            }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let trace = settings.divergence == .exact ? "exact trace" : "Hutchinson, \(settings.probes) probe\(settings.probes == 1 ? "" : "s")"
        var lines = [
            "model       \(model)",
            "data        \(plan.source)" + (dequantise.map { ", dequantised (bin width \(canonicalNumber($0)))" } ?? ""),
            "ODE         σ \(canonicalNumber(settings.sigmaMin!))…\(canonicalNumber(settings.sigmaMax!)), rtol \(canonicalNumber(settings.rtol)), atol \(canonicalNumber(settings.atol)), \(trace)",
            String(format: "NLL         %.4f ± %.4f nats/sample (standard error)", r.nllMean, r.nllStandardError),
            String(format: "bits/dim    %.4f", r.bitsPerDimension),
        ]
        if let discreteBPD { lines.append(String(format: "discrete    %.4f bits/dim (bpd − log₂ %@)", discreteBPD, canonicalNumber(dequantise!))) }
        if let exact {
            lines.append(String(format: "exact NLL   %.4f nats/sample (gap %+.4f nats/dim; per row sd %.3g, max |error| %.3g nats)",
                                exact.nllMean, exact.gapPerDimension, exact.rowSD, exact.rowMaxAbs))
        }
        let nfe = summary(r.nfe), vjp = summary(r.vectorJacobianProducts)
        lines.append(String(format: "NFE/sample  %.4g (min %d, max %d); %.4g vector–Jacobian products", nfe["mean"] as! Double,
                            nfe["min"] as! Int, nfe["max"] as! Int, vjp["mean"] as! Double))
        lines.append(String(format: "time        %.3f s", seconds))
        if let url = plan.outURL { lines.append("out         \(url.path) (log p(x) per row, nats)") }
        print(lines.joined(separator: "\n"))
    }

    private func summary(_ values: [Int]) -> [String: Any] {
        ["mean": Double(values.reduce(0, +)) / Double(max(values.count, 1)), "min": values.min() ?? 0, "max": values.max() ?? 0]
    }
}

/// The ODE's log-likelihoods against an exact model's closed-form log-density of the same rows.
struct ExactComparison {
    /// The closed-form mean NLL, (ODE − exact) mean log p per dimension, and the spread and
    /// largest size of the per-row error (nats).
    let nllMean: Double, gapPerDimension: Double, rowSD: Double, rowMaxAbs: Double

    init(_ r: LikelihoodResult, truth: [Double]) {
        let n = Double(max(truth.count, 1))
        let errors = zip(r.logLikelihood, truth).map { $0 - $1 }
        let mean = errors.reduce(0, +) / n
        nllMean = -truth.reduce(0, +) / n
        gapPerDimension = mean / Double(r.dimension)
        rowSD = (errors.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)).squareRoot()
        rowMaxAbs = errors.map(abs).max() ?? 0
    }
}
