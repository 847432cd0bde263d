import Foundation
import ScoreKitCore

/// The probability-flow ODE solved by adaptive DPM-Solver-12 or -23 with a PID step-size
/// controller (Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver: A Fast ODE Solver for Diffusion
/// Probabilistic Model Sampling in Around 10 Steps", NeurIPS 2022, §4 and Algorithm 4; as
/// k-diffusion's `sample_dpm_adaptive`), then a final denoising step.
///
/// In `t = λ = −log σ`, with `ε(x, t) = (x − D(x; e^{−t}))/e^{−t}`, a step from s to t (h = t − s)
/// pairs a lower- and a higher-order exponential-integrator update:
///
///     order 2:  x_low  = x − σ_t·(e^h − 1)·ε_s                              (DPM-Solver-1)
///               u = x − σ_{s+h/2}·(e^{h/2} − 1)·ε_s
///               x_high = x_low − σ_t·(e^h − 1)·(ε(u) − ε_s)                    (DPM-Solver-2, r₁ = ½)
///     order 3:  u₁ = x − σ_{s+h/3}·(e^{h/3} − 1)·ε_s
///               x_low  = x − σ_t·(e^h − 1)·ε_s − (3/2)·σ_t·(e^h − 1)·(ε(u₁) − ε_s)   (DPM-Solver-2, r₁ = ⅓)
///               u₂ = x − σ_{s+2h/3}·(e^{2h/3} − 1)·ε_s − σ_{s+2h/3}·2·((e^{2h/3} − 1)/(2h/3) − 1)·(ε(u₁) − ε_s)
///               x_high = x − σ_t·(e^h − 1)·ε_s − (3/2)·σ_t·((e^h − 1)/h − 1)·(ε(u₂) − ε_s)   (DPM-Solver-3)
///
/// The error is `E = RMS((x_low − x_high)/δ)` with `δ = max(atol, rtol·max(|x_low|, |x_low,prev|))`
/// (x_low,prev: the previous accepted step's x_low, at first the start). A PID controller with
/// `β₁ = (p + i + d)/order`, `β₂ = −(p + 2d)/order`, `β₃ = d/order` and the errors' inverses
/// `e_k = 1/(E_k + 10⁻⁸)` proposes `f = 1 + atan(e₀^β₁·e₁^β₂·e₂^β₃ − 1)`; the step is accepted when
/// `f ≥ accept_safety`, and h ← h·f either way. The last step is clipped to land on σ_min; the
/// integration ends once t is within 10⁻⁵ of it. Then `x ← D(x; σ)` (σ = 0).
///
/// Like `RK45`, every sample has its own step size, controller and error norm (k-diffusion
/// uses one norm over the whole batch), so a sample does not depend on its batch-mates; one
/// sample is k-diffusion's run on a batch of one. η = 0 only (the deterministic solver).
///
/// NFE per sample = order per attempted step (ε at the step's start is evaluated again after a
/// rejection, as k-diffusion does) + 1 for the final step. Under an NFE budget a sample whose
/// next attempt and final step would not fit stops where it is, takes its final step there,
/// and is reported in `SamplingContext.stoppedAt`.
///
/// As a `SamplingRun`, each step is one attempt for every running row; the step that leaves no
/// row running also takes the final step (`D` for `sample`; for an integration, rows that ran
/// out of budget are carried to σ_end by a first-order step, one call).
public struct DPMAdaptive: Integrator, Equatable {
    /// 2: DPM-Solver-12; 3: DPM-Solver-23.
    public var order: Int
    /// The tolerances of each step.
    public var rtol: Double, atol: Double
    /// The first step size in λ.
    public var hInit: Double
    /// The PID controller's proportional, integral and derivative coefficients.
    public var pcoeff: Double, icoeff: Double, dcoeff: Double
    /// A step is accepted when the proposed factor is at least this.
    public var acceptSafety: Double
    /// Where the integration stops and the final step is taken, and where it starts (prior
    /// σ_max·z); nil: the model's σ range, else 0.002 and 80.
    public var sigmaMin: Double?, sigmaMax: Double?

    /// A solver; see the properties (defaults: k-diffusion's).
    public init(order: Int = 3, rtol: Double = 0.05, atol: Double = 0.0078, hInit: Double = 0.05,
                pcoeff: Double = 0, icoeff: Double = 1, dcoeff: Double = 0, acceptSafety: Double = 0.81,
                sigmaMin: Double? = nil, sigmaMax: Double? = nil) {
        (self.order, self.rtol, self.atol, self.hInit) = (order, rtol, atol, hInit)
        (self.pcoeff, self.icoeff, self.dcoeff, self.acceptSafety) = (pcoeff, icoeff, dcoeff, acceptSafety)
        (self.sigmaMin, self.sigmaMax) = (sigmaMin, sigmaMax)
    }

    public static let declaration = SamplerDeclaration<DPMAdaptive>(
        name: "dpm-adaptive",
        summary: "probability-flow ODE, adaptive DPM-Solver-12/23 with a PID step-size controller per sample, then a final denoise",
        reference: "Lu et al., DPM-Solver, NeurIPS 2022 (adaptive step size); k-diffusion's sample_dpm_adaptive",
        nfeRule: "adaptive: NFE = order per attempted step + 1 (final denoise); --nfe N caps each sample, which stops early and is reported",
        base: DPMAdaptive(),
        options: [
            .integer("order", \.order, in: 2...3, help: "2: DPM-Solver-12, 3: DPM-Solver-23"),
            .real("rtol", \.rtol, in: 1e-12...10, help: "relative tolerance of each step"),
            .real("atol", \.atol, in: 1e-12...10, help: "absolute tolerance of each step"),
            .real("h_init", \.hInit, in: 1e-6...100, help: "first step size in λ = −log σ"),
            .real("pcoeff", \.pcoeff, in: -10...10, help: "PID controller: proportional coefficient"),
            .real("icoeff", \.icoeff, in: -10...10, help: "PID controller: integral coefficient"),
            .real("dcoeff", \.dcoeff, in: -10...10, help: "PID controller: derivative coefficient"),
            .real("accept_safety", \.acceptSafety, in: 0...10, help: "accept a step when the proposed factor is at least this"),
            .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, auto: "the model's σ range, else 0.002",
                  help: "where the integration stops and the final denoise is taken"),
            .real("sigma_max", \.sigmaMax, in: 1e-6...1e6, auto: "the model's σ range, else 80", help: "where it starts (prior σ_max·z)"),
        ])

    /// The σ range used with `model`: the set ends, the rest from the model or EDM's defaults.
    func range(for model: any Denoiser) -> (lo: Double, hi: Double) {
        let schedule = sigmaRange.resolved(modelRange: model.sigmaRange)
        return (schedule.sigmaMin!, schedule.sigmaMax!)
    }

    /// The σ range as a geometric schedule's (for its validation and resolution).
    var sigmaRange: NoiseSchedule { .ve(sigmaMin: sigmaMin, sigmaMax: sigmaMax) }

    public func validated() throws -> Self {
        try sigmaRange.validate(steps: 1, sampler: name)
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        (out.sigmaMin, out.sigmaMax) = range(for: model)
        return out
    }

    public var plannedNFE: Int? { nil }
    public var plannedIntegrationNFE: Int? { nil }

    /// Adaptive: the budget is enforced during the run (samples stop early and are reported).
    public func fitted(toNFE nfe: Int) throws -> DPMAdaptive { self }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DPMAdaptiveRun {
        let (lo, hi) = range(for: model)
        return DPMAdaptiveRun(sampler: self, model: model, x: hi * z, schedules: .shared([hi, lo], rows: z.rows),
                              integrating: false, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> DPMAdaptiveRun {
        DPMAdaptiveRun(sampler: self, model: model, x: x, schedules: RowSchedules(rows: batchRows, sigmas: sigma.map { [$0, sigmaEnd] }),
                       integrating: true, context: context)
    }
}

/// A run of `DPMAdaptive`; see `DPMAdaptive` for what a step is.
public struct DPMAdaptiveRun: SamplingRun {
    let sampler: DPMAdaptive
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    /// An integration (ends at σ_end, not denoised) rather than `sample`.
    let integrating: Bool
    let context: SamplingContext
    /// Each row's λ now, λ at the end, next step size, and PID error history (empty at first).
    var t: [Double], tEnd: [Double], h: [Double], errors: [[Double]]
    /// The previous accepted step's lower-order solution (the start at first), for δ.
    var xLowPrevious: Tensor
    /// The rows still integrating.
    var running: [Int]
    public private(set) var stepsTaken = 0
    public private(set) var isFinished = false

    init(sampler: DPMAdaptive, model: any Denoiser, x: Tensor, schedules: RowSchedules, integrating: Bool, context: SamplingContext) {
        (self.sampler, self.model, self.x, self.schedules, self.integrating, self.context) = (sampler, model, x, schedules, integrating, context)
        t = schedules.column(0).map { -log($0) }
        tEnd = schedules.column(1).map { -log($0) }
        h = Array(repeating: abs(sampler.hInit), count: x.rows)
        errors = Array(repeating: [], count: x.rows)
        xLowPrevious = x
        running = Array(0..<x.rows)
        running = running.filter { !arrived($0) }
    }

    public var sigma: [Double] {
        if isFinished { return integrating ? schedules.column(1) : Array(repeating: 0, count: x.rows) }
        return t.map { exp(-$0) }
    }
    public var plannedSteps: Int? { nil }

    /// k-diffusion's stopping rule: within 10⁻⁵ of the end in λ.
    private func arrived(_ row: Int) -> Bool { t[row] >= tEnd[row] - 1e-5 }

    public mutating func step() throws -> SamplingStep {
        let before = sigma, i = stepsTaken
        if i == 0 { dropUnaffordable() }
        var denoised: Tensor?
        if !running.isEmpty {
            try context.beginStep(i, of: estimatedSteps(after: i), sigma: exp(-t[running[0]]))
            denoised = try attempt()
            try context.endStep(x, sigma: sigma)
            running = running.filter { !arrived($0) }
            dropUnaffordable()
        }
        stepsTaken += 1
        if running.isEmpty { try finish() }
        return SamplingStep(index: i, sigma: before, sigmaNext: sigma, denoised: denoised)
    }

    /// Stops the running rows that cannot afford another attempt plus their final call, and
    /// reports each with the σ it stopped at.
    private mutating func dropUnaffordable() {
        guard let budget = context.budget else { return }
        let calls = sampler.order + 1
        let (keep, stop) = (running.filter { context.nfe[schedules.batchRow($0)] + calls <= budget },
                            running.filter { context.nfe[schedules.batchRow($0)] + calls > budget })
        for row in stop { context.stopEarly(row: schedules.batchRow(row), sigma: exp(-t[row])) }
        running = keep
    }

    /// One attempt for every running row; returns `D` at the rows' starting points.
    private mutating func attempt() throws -> Tensor {
        let rows = running, batchRows = rows.map(schedules.batchRow)
        let s = rows.map { t[$0] }
        let next = rows.indices.map { p in min(tEnd[rows[p]], s[p] + h[rows[p]]) }
        let step = zip(next, s).map { $0 - $1 }
        let x0 = x.gatherRows(rows)
        let d0 = try context.denoise(model, x0, sigma: s.map { exp(-$0) }, rows: batchRows)
        let start = StepRows(x0)
        let e0 = StepRows.eps(start, d0, t: s)
        let (low, high) = sampler.order == 2
            ? try order2(start, e0, s: s, h: step, batchRows: batchRows)
            : try order3(start, e0, s: s, h: step, batchRows: batchRows)
        let lowTensor = low.tensor(shape: x0.shape)
        let difference = zip(low.values, high.values).map { $0 - $1 }
        let error = maxScaledRMS(difference, lowTensor, xLowPrevious.gatherRows(rows), rtol: sampler.rtol, atol: sampler.atol)
        var accepted: [Int] = []
        for (p, row) in rows.enumerated() {
            guard error[p].isFinite else {
                throw SamplingError.nonFinite(sampler: context.samplerName, step: context.currentStep, sigma: exp(-s[p]), what: "error estimate")
            }
            if propose(row, error: error[p]) {
                t[row] = next[p]
                accepted.append(p)
            }
        }
        let acceptedRows = accepted.map { rows[$0] }
        x.scatterRows(acceptedRows, from: high.tensor(shape: x0.shape).gatherRows(accepted))
        xLowPrevious.scatterRows(acceptedRows, from: lowTensor.gatherRows(accepted))
        var out = Tensor(zeros: x.shape)
        out.scatterRows(rows, from: d0)
        return out
    }

    /// DPM-Solver-1 (x_low) and -2 with r₁ = ½ (x_high) from ε_s.
    private func order2(_ x0: StepRows, _ e0: StepRows, s: [Double], h: [Double], batchRows: [Int]) throws -> (StepRows, StepRows) {
        let sigmaT = zip(s, h).map { exp(-($0 + $1)) }
        let low = StepRows.combination([(ones(s), x0), (zip(sigmaT, h).map { -$0 * expm1($1) }, e0)])
        let e1 = try stage(x0, e0, s: s, h: h, r: 0.5, batchRows: batchRows)
        let c = zip(sigmaT, h).map { -$0 / (2 * 0.5) * expm1($1) }
        return (low, StepRows.combination([(ones(s), low), (c, e1), (c.map { -$0 }, e0)]))
    }

    /// DPM-Solver-2 with r₁ = ⅓ (x_low) and -3 with r₁ = ⅓, r₂ = ⅔ (x_high) from ε_s, sharing ε(u₁).
    private func order3(_ x0: StepRows, _ e0: StepRows, s: [Double], h: [Double], batchRows: [Int]) throws -> (StepRows, StepRows) {
        let (r1, r2) = (1.0 / 3, 2.0 / 3)
        let sigmaT = zip(s, h).map { exp(-($0 + $1)) }
        let first = zip(sigmaT, h).map { -$0 * expm1($1) }
        let e1 = try stage(x0, e0, s: s, h: h, r: r1, batchRows: batchRows)
        let c1 = zip(sigmaT, h).map { -$0 / (2 * r1) * expm1($1) }
        let low = StepRows.combination([(ones(s), x0), (first, e0), (c1, e1), (c1.map { -$0 }, e0)])
        let s2 = zip(s, h).map { $0 + r2 * $1 }
        let sigma2 = s2.map { exp(-$0) }
        let a = zip(sigma2, h).map { -$0 * expm1(r2 * $1) }
        let b = zip(sigma2, h).map { -$0 * (r2 / r1) * (expm1(r2 * $1) / (r2 * $1) - 1) }
        let u2 = StepRows.combination([(ones(s), x0), (a, e0), (b, e1), (b.map { -$0 }, e0)])
        let e2 = StepRows.eps(u2, try context.denoise(model, u2.tensor(shape: x.rowShapeBatch(s.count)), sigma: sigma2, rows: batchRows), t: s2)
        let c2 = zip(sigmaT, h).map { -$0 / r2 * (expm1($1) / $1 - 1) }
        return (low, StepRows.combination([(ones(s), x0), (first, e0), (c2, e2), (c2.map { -$0 }, e0)]))
    }

    /// ε at the intermediate point `u = x − σ_{s+rh}·(e^{rh} − 1)·ε_s`.
    private func stage(_ x0: StepRows, _ e0: StepRows, s: [Double], h: [Double], r: Double, batchRows: [Int]) throws -> StepRows {
        let s1 = zip(s, h).map { $0 + r * $1 }
        let sigma1 = s1.map { exp(-$0) }
        let u = StepRows.combination([(ones(s), x0), (zip(sigma1, h).map { -$0 * expm1(r * $1) }, e0)])
        return StepRows.eps(u, try context.denoise(model, u.tensor(shape: x.rowShapeBatch(s.count)), sigma: sigma1, rows: batchRows), t: s1)
    }

    private func ones(_ s: [Double]) -> [Double] { Array(repeating: 1, count: s.count) }

    /// The PID controller of `row` given its error: scales its step size and says whether the
    /// step is accepted.
    private mutating func propose(_ row: Int, error: Double) -> Bool {
        let order = Double(sampler.order)
        let b1 = (sampler.pcoeff + sampler.icoeff + sampler.dcoeff) / order
        let b2 = -(sampler.pcoeff + 2 * sampler.dcoeff) / order, b3 = sampler.dcoeff / order
        let inverse = 1 / (error + 1e-8)
        if errors[row].isEmpty { errors[row] = [inverse, inverse, inverse] }
        errors[row][0] = inverse
        let e = errors[row]
        let factor = 1 + atan(pow(e[0], b1) * pow(e[1], b2) * pow(e[2], b3) - 1)
        let accept = factor >= sampler.acceptSafety
        if accept { errors[row] = [e[0], e[0], e[1]] }
        h[row] *= factor
        return accept
    }

    /// The final step: `D(x; σ)` for `sample`; for an integration, the rows that stopped short
    /// are carried to σ_end by `x ← (σ_end/σ)·x + (1 − σ_end/σ)·D` (the rest are there).
    private mutating func finish() throws {
        isFinished = true
        let sigmaNow = t.map { exp(-$0) }
        if !integrating {
            x = try context.denoise(model, x, sigma: sigmaNow, rows: schedules.rows)
            try context.endStep(x, sigma: 0)
            return
        }
        let short = (0..<x.rows).filter { !arrived($0) }
        guard !short.isEmpty else { return }
        let d = try context.denoise(model, x.gatherRows(short), sigma: short.map { sigmaNow[$0] }, rows: short.map(schedules.batchRow))
        let ratio = short.map { schedules.sigmas[$0][1] / sigmaNow[$0] }
        x.scatterRows(short, from: Tensor.combination([(.perRow(ratio), x.gatherRows(short)), (.perRow(ratio.map { 1 - $0 }), d)]))
    }

    /// A guess at the total number of attempts, from how far the slowest running row has come.
    private func estimatedSteps(after attempt: Int) -> Int {
        let start = schedules.column(0).map { -log($0) }
        let fraction = running.map { (t[$0] - start[$0]) / (tEnd[$0] - start[$0]) }.min() ?? 1
        return fraction > 0 ? max(attempt + 1, Int((Double(attempt) / fraction).rounded(.up))) : attempt + 1
    }
}

/// A step's rows in Float64, flat: the stages, ε's and the two solutions are formed in Float64
/// (the model sees them rounded to Float32), so their difference — the error estimate the step
/// size follows — is not buried in Float32 rounding while the steps are accurate.
struct StepRows {
    var values: [Double]
    let rowSize: Int

    init(values: [Double], rowSize: Int) { (self.values, self.rowSize) = (values, rowSize) }
    init(_ t: Tensor) { self.init(values: t.scalars.map(Double.init), rowSize: t.rowSize) }

    /// `Σ_k c_k[r]·terms_k` row by row.
    static func combination(_ terms: [([Double], StepRows)]) -> StepRows {
        let n = terms[0].1.rowSize
        var out = [Double](repeating: 0, count: terms[0].1.values.count)
        for (c, rows) in terms {
            for r in c.indices {
                for j in (r * n)..<((r + 1) * n) { out[j] += c[r] * rows.values[j] }
            }
        }
        return StepRows(values: out, rowSize: n)
    }

    /// ε = (u − D)/σ at λ = t, from the point and D at its Float32 rounding.
    static func eps(_ u: StepRows, _ d: Tensor, t: [Double]) -> StepRows {
        let inverse = t.map { exp($0) }
        return combination([(inverse, u), (inverse.map { -$0 }, StepRows(d))])
    }

    /// As a Float32 tensor of `shape`.
    func tensor(shape: [Int]) -> Tensor { Tensor(shape: shape, scalars: values.map { Float($0) }) }
}

extension Tensor {
    /// `[rows] + rowShape`.
    func rowShapeBatch(_ rows: Int) -> [Int] { [rows] + rowShape }
}

/// Per row: `√(mean_j (v_j/δ_j)²)` with `δ_j = max(atol, rtol·max(|a_j|, |b_j|))` (k-diffusion's
/// adaptive DPM-Solver norm), in Float64; `v` holds the rows' values one after another.
func maxScaledRMS(_ v: [Double], _ a: Tensor, _ b: Tensor, rtol: Double, atol: Double) -> [Double] {
    let n = a.rowSize
    return (0..<a.rows).map { r in
        var sum = 0.0
        for j in (r * n)..<((r + 1) * n) {
            let delta = max(atol, rtol * max(abs(Double(a.scalars[j])), abs(Double(b.scalars[j]))))
            let q = v[j] / delta
            sum += q * q
        }
        return (sum / Double(max(n, 1))).squareRoot()
    }
}
