import Foundation
import ScoreKitCore

/// The probability-flow ODE solved by the adaptive Dormand–Prince 5(4) Runge–Kutta method
/// (Dormand & Prince, "A family of embedded Runge–Kutta formulae", 1980), as score_sde's ODE
/// sampler does with scipy's RK45 (Song et al., "Score-Based Generative Modeling through
/// Stochastic Differential Equations", ICLR 2021), then a Tweedie step.
///
/// In `s = log σ` the ODE reads `dx/ds = x − D(x; e^s)` (score_sde's VE time is s up to a
/// constant factor). From `x = σ_max·z` each sample integrates from log σ_max down to log σ_min
/// with its own step size h: the 7 stages give a 5th-order step and a 4th-order error
/// estimate; with `scale = atol + rtol·max(|x|, |x'|)` the step is accepted when the RMS over
/// the sample of error/scale is below 1, and h is multiplied by `clamp(0.9·err^{−1/5}, 0.2, 10)`
/// (at most 1 just after a rejection). The first h comes from Hairer's rule (one probe call).
/// The last stage is evaluated at the accepted point (FSAL), so the Tweedie step
/// `x + σ_min²·score = D(x; σ_min)` reuses that evaluation.
///
/// Unlike score_sde, which integrates the flattened batch with one step size, every sample has
/// its own step size and error norm, and only the samples still running are evaluated, so a
/// sample's output does not depend on its batch-mates.
///
/// NFE per sample = the evaluations it made: 1 (start) + 1 (probe) + 6 per attempted step.
/// Under an NFE budget, a sample whose next attempt would not fit stops where it is and takes
/// its Tweedie step there (with the evaluation it already has); the context records the σ it
/// stopped at (`SamplingContext.stoppedAt`), so the run reports how many samples stopped early.
///
/// As a `SamplingRun`, step 0 evaluates D at the start and probes the first step size; each
/// later step is one attempt (accepted or rejected per row); the step that leaves no row
/// running also takes the final step (Tweedie for `sample`; for an integration, a first-order
/// exponential step to σ_end with the D it has). Changing `x` between steps costs one more call
/// per row: D is evaluated again at the new state.
public struct RK45: Integrator, Equatable {
    /// The tolerances of each step.
    public var rtol: Double, atol: Double
    /// Where the integration stops and the Tweedie step is taken, and where it starts (prior
    /// σ_max·z); nil: the model's σ range, else 0.002 and 80.
    public var sigmaMin: Double?, sigmaMax: Double?

    /// A solver; see the properties.
    public init(rtol: Double = 1e-5, atol: Double = 1e-5, sigmaMin: Double? = nil, sigmaMax: Double? = nil) {
        self.rtol = rtol
        self.atol = atol
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    public static let declaration = SamplerDeclaration<RK45>(
        name: "rk45",
        summary: "probability-flow ODE, adaptive Dormand–Prince 5(4) per sample, then a Tweedie step",
        reference: "Song et al., Score-Based Generative Modeling through SDEs, ICLR 2021 (ODE sampler); Dormand & Prince 1980",
        nfeRule: "adaptive: NFE = calls made (1 + 1 probe + 6 per attempted step; the Tweedie step reuses the last); --nfe N caps each sample, which stops early",
        base: RK45(),
        options: [
            .real("rtol", \.rtol, in: 1e-12...1, help: "relative tolerance of each step"),
            .real("atol", \.atol, in: 1e-12...1, help: "absolute tolerance of each step"),
            .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, auto: "the model's σ range, else 0.002",
                  help: "where the integration stops and the Tweedie step is taken"),
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
        let (lo, hi) = range(for: model)
        return RK45(rtol: rtol, atol: atol, sigmaMin: lo, sigmaMax: hi)
    }

    public var plannedNFE: Int? { nil }
    public var plannedIntegrationNFE: Int? { nil }

    /// Adaptive: the budget is enforced during the run (samples stop early), so any budget fits.
    public func fitted(toNFE nfe: Int) throws -> RK45 { self }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> RK45Run {
        let (lo, hi) = range(for: model)
        return RK45Run(sampler: self, model: model, rows: RK45Rows(start: hi * z, schedules: .shared([hi, lo], rows: z.rows)),
                       end: .tweedie, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> RK45Run {
        RK45Run(sampler: self, model: model, rows: RK45Rows(start: x, schedules: RowSchedules(rows: batchRows, sigmas: sigma.map { [$0, sigmaEnd] })),
                end: .carry(sigmaEnd), context: context)
    }
}

/// A run of `RK45`; see `RK45` for what a step is.
public struct RK45Run: SamplingRun {
    /// How the run ends: a Tweedie step to σ = 0 (`sample`), or carried to σ_end with one
    /// first-order step from where each row stopped (an integration, leaving one call in the
    /// budget for the caller's final step).
    enum End { case tweedie, carry(Double) }

    let sampler: RK45
    let model: any Denoiser
    var rows: RK45Rows
    let end: End
    let context: SamplingContext
    public private(set) var stepsTaken = 0
    public private(set) var isFinished = false
    /// Whether `x` was changed since D was last evaluated.
    private var stale = false

    init(sampler: RK45, model: any Denoiser, rows: RK45Rows, end: End, context: SamplingContext) {
        self.sampler = sampler
        self.model = model
        self.rows = rows
        self.end = end
        self.context = context
    }

    private var reserve: Int { if case .carry = end { 1 } else { 0 } }

    public var x: Tensor {
        get { rows.x }
        set { rows.x = newValue; stale = true }
    }
    public var sigma: [Double] { isFinished && reserve == 0 ? Array(repeating: 0, count: rows.x.rows) : rows.sigma }
    public var plannedSteps: Int? { nil }

    public mutating func step() throws -> SamplingStep {
        let before = rows.sigma, i = stepsTaken
        if i == 0 {
            try context.beginStep(0, of: 1, sigma: rows.schedules.sigmas[0][0])
            rows.denoised = try context.denoise(model, rows.x, sigma: rows.sigma, rows: rows.schedules.rows)
            let (budget, used, calls, all) = (context.budget, context.nfe, 7 + reserve, rows.running)
            try rows.chooseFirstSteps(model, rtol: sampler.rtol, atol: sampler.atol, context: context) { row in
                budget.map { used[row] + calls <= $0 } ?? true
            }
            reportStops(Set(all).subtracting(rows.running))
        } else {
            try context.beginStep(i, of: rows.estimatedSteps(after: i), sigma: rows.sigma[rows.running[0]])
            if stale { try reevaluate() }
            try rows.attempt(model, rtol: sampler.rtol, atol: sampler.atol, context: context)
            try context.endStep(rows.x, sigma: rows.sigma, denoised: rows.denoised)
        }
        stepsTaken += 1
        let (running, out) = (rows.running, rows.running.filter { room(for: 6 + reserve, rows.schedules.batchRow($0)) })
        rows.running = out
        reportStops(Set(running).subtracting(out))
        if rows.running.isEmpty { try finish() }
        return SamplingStep(index: i, sigma: before, sigmaNext: sigma, denoised: rows.denoised)
    }

    /// D again at the running rows' states, after `x` was changed.
    private mutating func reevaluate() throws {
        let running = rows.running
        let d = try context.denoise(model, rows.x.gatherRows(running), sigma: running.map { rows.sigma[$0] },
                                    rows: running.map(rows.schedules.batchRow))
        rows.denoised.scatterRows(running, from: d)
        stale = false
    }

    /// The final step: Tweedie's `D(x; σ_min)` (the last evaluation), or each row carried to
    /// σ_end by `x ← (σ_end/σ)·x + (1 − σ_end/σ)·D`.
    private mutating func finish() throws {
        isFinished = true
        switch end {
        case .tweedie:
            rows.x = rows.denoised
            try context.endStep(rows.x, sigma: 0)
        case .carry(let sigmaEnd):
            let ratio = rows.sigma.map { sigmaEnd / $0 }
            rows.x = Tensor.combination([(.perRow(ratio), rows.x), (.perRow(ratio.map { 1 - $0 }), rows.denoised)])
            rows.sigma = Array(repeating: sigmaEnd, count: rows.x.rows)
        }
    }

    /// Tells the context that `stopped` rows ran out of budget where they are.
    private func reportStops(_ stopped: Set<Int>) {
        for row in stopped.sorted() { context.stopEarly(row: rows.schedules.batchRow(row), sigma: rows.sigma[row]) }
    }

    private func room(for calls: Int, _ batchRow: Int) -> Bool {
        context.budget.map { context.nfe[batchRow] + calls <= $0 } ?? true
    }
}

/// The Dormand–Prince 5(4) tableau (as in scipy's RK45).
enum DormandPrince {
    static let c: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1]
    static let a: [[Double]] = [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],   // = b: stage 7 is the new point
    ]
    /// 5th-order weights minus 4th-order weights: the error estimate is `h·Σ e_j·K_j`.
    static let e: [Double] = [-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40]
    static let safety = 0.9, minFactor = 0.2, maxFactor = 10.0
}

/// The per-sample state of the integration: where each row is, its step size, and whether it
/// is still running. Rows are the rows of the stepped tensor; `schedules` maps them to the batch.
struct RK45Rows {
    let schedules: RowSchedules
    /// Each row's state and `D` at its current point.
    var x: Tensor, denoised: Tensor
    /// log σ and σ of the current point (σ exact at the start and the end).
    var s: [Double], sigma: [Double]
    let sStart: [Double], sEnd: [Double], sigmaEnd: [Double]
    /// The magnitude of the next step in s, and whether a step was rejected since the last accepted one.
    var h: [Double], rejected: [Bool]
    /// The rows still integrating.
    var running: [Int]

    init(start: Tensor, schedules: RowSchedules) {
        self.schedules = schedules
        x = start
        denoised = start
        sigma = schedules.column(0)
        sigmaEnd = schedules.column(1)
        s = sigma.map { log($0) }
        sStart = s
        sEnd = sigmaEnd.map { log($0) }
        h = Array(repeating: 0, count: start.rows)
        rejected = Array(repeating: false, count: start.rows)
        running = Array(0..<start.rows)
    }

    /// Hairer's starting step (Hairer, Nørsett & Wanner, Solving ODEs I, II.4; scipy's
    /// `select_initial_step`), one probe call per row; rows that `canAfford` no probe and
    /// first step stop here.
    mutating func chooseFirstSteps(_ model: any Denoiser, rtol: Double, atol: Double, context: SamplingContext,
                                   canAfford: (Int) -> Bool) throws {
        running = running.filter { canAfford(schedules.batchRow($0)) }
        guard !running.isEmpty else { return }
        let x0 = x.gatherRows(running), f0 = x0 - denoised.gatherRows(running)
        let span = running.map { s[$0] - sEnd[$0] }
        let d0 = scaledRMS(x0, x0, x0, rtol: rtol, atol: atol), d1 = scaledRMS(f0, x0, x0, rtol: rtol, atol: atol)
        let h0 = running.indices.map { p in min(d0[p] < 1e-5 || d1[p] < 1e-5 ? 1e-6 : 0.01 * d0[p] / d1[p], span[p]) }
        let y1 = Tensor.combination([(1, x0), (.perRow(h0.map { -$0 }), f0)])
        let sigma1 = running.indices.map { p in h0[p] < span[p] ? exp(s[running[p]] - h0[p]) : sigmaEnd[running[p]] }
        let f1 = y1 - (try context.denoise(model, y1, sigma: sigma1, rows: running.map(schedules.batchRow)))
        let d2 = zip(scaledRMS(f1 - f0, x0, x0, rtol: rtol, atol: atol), h0).map { $0 / $1 }
        for (p, k) in running.enumerated() {
            let d = max(d1[p], d2[p])
            let h1 = d <= 1e-15 ? max(1e-6, h0[p] * 1e-3) : pow(0.01 / d, 1.0 / 5)
            h[k] = min(100 * h0[p], h1, span[p])
        }
    }

    /// One Dormand–Prince attempt for every running row, each with its own step: the step is
    /// clipped so as to land exactly on σ_end, then accepted or rejected per row.
    mutating func attempt(_ model: any Denoiser, rtol: Double, atol: Double, context: SamplingContext) throws {
        let rows = running
        let hAbs = rows.map { min(h[$0], s[$0] - sEnd[$0]) }
        let landing = rows.indices.map { p in hAbs[p] >= s[rows[p]] - sEnd[rows[p]] }
        let sNew = rows.indices.map { p in landing[p] ? sEnd[rows[p]] : s[rows[p]] - hAbs[p] }
        let sigmaNew = rows.indices.map { p in landing[p] ? sigmaEnd[rows[p]] : exp(sNew[p]) }
        let (y, d, errors) = try stages(model, rows: rows, step: hAbs.map { -$0 }, sigmaNew: sigmaNew, rtol: rtol, atol: atol,
                                        context: context)
        var accepted: [Int] = []
        for (p, row) in rows.enumerated() {
            guard errors[p].isFinite else {
                throw SamplingError.nonFinite(sampler: context.samplerName, step: context.currentStep, sigma: sigma[row], what: "error estimate")
            }
            let factor = errors[p] == 0 ? DormandPrince.maxFactor : DormandPrince.safety * pow(errors[p], -1.0 / 5)
            if errors[p] < 1 {
                h[row] = hAbs[p] * min(rejected[row] ? 1 : DormandPrince.maxFactor, factor)
                (rejected[row], s[row], sigma[row]) = (false, sNew[p], sigmaNew[p])
                accepted.append(p)
            } else {
                h[row] = hAbs[p] * max(DormandPrince.minFactor, factor)
                rejected[row] = true
                guard h[row] > 10 * max(abs(s[row]), 1).ulp else {
                    throw SamplingError.invalidInput("\(context.samplerName): step size underflow at σ = \(sigma[row]); loosen rtol/atol")
                }
            }
        }
        x.scatterRows(accepted.map { rows[$0] }, from: y.gatherRows(accepted))
        denoised.scatterRows(accepted.map { rows[$0] }, from: d.gatherRows(accepted))
        running = rows.indices.filter { !(landing[$0] && errors[$0] < 1) }.map { rows[$0] }
    }

    /// The six new stages of a step of signed size `step` (in s) for `rows`: the new point, `D`
    /// there, and each row's scaled RMS error estimate.
    private func stages(_ model: any Denoiser, rows: [Int], step: [Double], sigmaNew: [Double], rtol: Double, atol: Double,
                        context: SamplingContext) throws -> (x: Tensor, denoised: Tensor, errors: [Double]) {
        let x0 = x.gatherRows(rows), batchRows = rows.map(schedules.batchRow)
        var k = [x0 - denoised.gatherRows(rows)]                          // K_1 = dx/ds, known (FSAL)
        var y = x0, d = x0
        for j in 1..<7 {
            var terms: [(RowCoefficients, Tensor)] = [(1, x0)]
            for (l, a) in DormandPrince.a[j].enumerated() where a != 0 { terms.append((.perRow(step.map { $0 * a }), k[l])) }
            y = Tensor.combination(terms)
            let c = DormandPrince.c[j]
            let stageSigma = c == 1 ? sigmaNew : rows.indices.map { p in exp(s[rows[p]] + c * step[p]) }
            d = try context.denoise(model, y, sigma: stageSigma, rows: batchRows)
            k.append(y - d)
        }
        let error = Tensor.combination(DormandPrince.e.enumerated().filter { $0.element != 0 }.map { l, e in
            (.perRow(step.map { $0 * e }), k[l])
        })
        return (y, d, scaledRMS(error, x0, y, rtol: rtol, atol: atol))
    }

    /// A guess at the total number of attempts, from how far the slowest running row has come.
    func estimatedSteps(after attempt: Int) -> Int {
        let fraction = running.map { (sStart[$0] - s[$0]) / (sStart[$0] - sEnd[$0]) }.min() ?? 1
        return fraction > 0 ? max(attempt + 1, Int((Double(attempt) / fraction).rounded(.up))) : attempt + 1
    }
}

/// Per row: `√(mean_j (v_j/scale_j)²)` with `scale_j = atol + rtol·max(|a_j|, |b_j|)`, in Float64.
func scaledRMS(_ v: Tensor, _ a: Tensor, _ b: Tensor, rtol: Double, atol: Double) -> [Double] {
    let n = v.rowSize
    return v.scalars.withUnsafeBufferPointer { pv in
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                (0..<v.rows).map { r in
                    var sum = 0.0
                    for j in (r * n)..<((r + 1) * n) {
                        let scale = atol + rtol * max(abs(Double(pa[j])), abs(Double(pb[j])))
                        let q = Double(pv[j]) / scale
                        sum += q * q
                    }
                    return (sum / Double(max(n, 1))).squareRoot()
                }
            }
        }
    }
}
