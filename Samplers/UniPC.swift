import Foundation
import ScoreKitCore

/// UniPC: a unified predictor–corrector framework for the probability-flow ODE in data
/// prediction (Zhao, Bai, Rao, Zhou & Lu, "UniPC: A Unified Predictor-Corrector Framework for
/// Fast Sampling of Diffusion Models", NeurIPS 2023, Algorithms 1–3; diffusers'
/// `UniPCMultistepScheduler` with `predict_x0`).
///
/// Along σ_0 > … > σ_{N−1} > σ_N = 0, with `λ = −log σ`, `D_i = D(x_i; σ_i)`, step i → i+1 of
/// order p uses `h = λ_{i+1} − λ_i`, `r_k = (λ_{i−k} − λ_i)/h`, `D1_k = (D_{i−k} − D_i)/r_k`,
/// B(h) = −h (bh1) or e^{−h} − 1 (bh2) — data prediction runs B at −h — and
/// `b_m = m!·g_m/B(h)` with `g_1 = (e^{−h} − 1)/(−h) − 1`, `g_{m+1} = g_m/(−h) − 1/(m+1)!`:
///
///     UniP-p:  x̃_{i+1} = (σ_{i+1}/σ_i)·x_i + (1 − e^{−h})·D_i − B(h)·Σ_{k<p} ρ_k·D1_k
///              with Σ_k ρ_k·r_k^{m−1} = b_m, m = 1…p−1   (ρ = ½ for p = 2)
///     UniC-p:  x_{i+1} = (σ_{i+1}/σ_i)·x_i + (1 − e^{−h})·D_i − B(h)·(Σ_{k<p} ρ^c_k·D1_k + ρ^c_p·(D̃_{i+1} − D_i))
///              with r_p = 1 and Σ_k ρ^c_k·r_k^{m−1} = b_m, m = 1…p   (ρ^c = ½ for p = 1)
///
/// where `D̃_{i+1} = D(x̃_{i+1}; σ_{i+1})` is the model call of step i+1 — the corrector costs no
/// extra call, and the history keeps the values at the predicted points. The order of step i
/// is `min(order, N − i, i + 1)` (warm-up and diffusers' `lower_order_final`, at every N); the
/// last step, to σ = 0, is `x ← D̃_{N−1}`, so it has no corrector. NFE = steps.
public struct UniPC: ScheduledSampler, Equatable {
    /// B(h): `bh1` = h, `bh2` = e^h − 1 (the paper's recommendation for few steps).
    public enum Variant: String, Sendable, CaseIterable {
        case bh1, bh2
    }

    /// σ levels before the final step to 0; nil: 20, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The predictor's order p, 1–3 (the corrector raises it by one).
    public var order: Int
    /// B(h).
    public var variant: Variant
    /// Whether UniC corrects each step with the next step's model value.
    public var corrector: Bool
    /// The σ's visited.
    public var schedule: NoiseSchedule

    /// A solver; see the properties.
    public init(steps: Int? = nil, order: Int = 2, variant: Variant = .bh2, corrector: Bool = true,
                schedule: NoiseSchedule = .karras()) {
        self.steps = steps
        self.order = order
        self.variant = variant
        self.corrector = corrector
        self.schedule = schedule
    }

    public static let declaration = SamplerDeclaration<UniPC>(
        name: "unipc",
        summary: "UniPC: multistep predictor (UniP) and free corrector (UniC) in data prediction, orders 1–3",
        reference: "Zhao, Bai, Rao, Zhou & Lu, UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of Diffusion Models, NeurIPS 2023",
        nfeRule: "NFE = steps (the corrector reuses the next step's call); --nfe N sets steps = N",
        base: UniPC(),
        options: [
            .integer("steps", \.steps, in: 1...100_000, auto: "20, or the most --nfe allows",
                     help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom }),
            .integer("order", \.order, in: 1...3, help: "predictor order p (UniP-p; UniC-p is of order p + 1)"),
            .choice("variant", \.variant, help: "B(h): bh1 = h, bh2 = e^h − 1"),
            .flag("corrector", \.corrector, help: "apply UniC after each step but the last"),
        ] + NoiseSchedule.options.map { $0.lifted(\.schedule) })

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { 20 }

    public var plannedIntegrationNFE: Int? { max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> UniPCRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return UniPCRun(solver: self, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> UniPCRun {
        let schedules = integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows)
        return UniPCRun(solver: self, model: model, x: x, schedules: schedules, context: context)
    }
}

/// A run of `UniPC`. Each step calls the model at the current (predicted) x, corrects x with
/// UniC using that value, then predicts the next point with UniP. The correction is applied as
/// a change to x (`x + B·Σρ_k D1_k − B·(corrector's sum)`), so an x edited between steps is
/// where the corrected state starts from.
public struct UniPCRun: SamplingRun {
    let solver: UniPC
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let context: SamplingContext
    /// Model values at the points visited, newest first.
    var history: MultistepHistory
    /// The last predictor's order and its term `B(h)·Σ_k ρ_k·D1_k` (nil for order 1).
    var pending: (order: Int, term: Tensor?)?
    public private(set) var stepsTaken = 0

    init(solver: UniPC, model: any Denoiser, x: Tensor, schedules: RowSchedules, context: SamplingContext) {
        self.solver = solver
        self.model = model
        self.x = x
        self.schedules = schedules
        self.context = context
        history = MultistepHistory(capacity: solver.order)
    }

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, n = schedules.points - 1, counted = Multistep.countedSteps(schedules)
        let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: n, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        let toZero = sigmaNext.allSatisfy { $0 == 0 }
        if solver.corrector, !toZero, let pending {
            x = corrected(denoised, sigma: sigma, order: pending.order, predictorTerm: pending.term)
        }
        history.push(denoised, sigma: sigma)
        if toZero {
            x = denoised                                  // the step to σ = 0
            pending = nil
        } else {
            let p = min(Multistep.uniPCOrder(solver.order, step: i, of: counted), history.count)
            let term = p > 1 ? predictorTerm(order: p, sigmaNext: sigmaNext) : nil
            let ratio = zip(sigmaNext, sigma).map { $0 / $1 }
            var terms: [(RowCoefficients, Tensor)] = [(.perRow(ratio), x), (.perRow(ratio.map { 1 - $0 }), denoised)]
            if let term { terms.append((-1, term)) }
            x = Tensor.combination(terms)
            pending = (p, term)
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// `B(h)·Σ_{k<p} ρ_k·(D_{i−k} − D_i)/r_k` for the step from the newest history point to `sigmaNext`.
    private func predictorTerm(order p: Int, sigmaNext: [Double]) -> Tensor {
        let c = (0..<x.rows).map { r -> [Double] in
            let (h, rs) = steps(row: r, to: sigmaNext[r], older: p - 1)
            let (bh, b) = Self.bCoefficients(h: h, order: p, variant: solver.variant)
            let rho = p == 2 ? [0.5] : Multistep.solve([[1, 1], rs], Array(b.prefix(2)))
            return termCoefficients(rho: rho, r: rs, scale: bh)
        }
        return history.combination((0..<p).map { k in c.map { $0[k] } })
    }

    /// x corrected by UniC-p with the model value `denoised` at the point x was predicted for.
    private func corrected(_ denoised: Tensor, sigma: [Double], order p: Int, predictorTerm: Tensor?) -> Tensor {
        var onNew = [Double](), perEntry = Array(repeating: [Double](), count: p)
        for r in 0..<x.rows {
            let (h, rs) = steps(row: r, to: sigma[r], older: p - 1)
            let (bh, b) = Self.bCoefficients(h: h, order: p, variant: solver.variant)
            let matrix = (0..<p).map { m in (rs + [1]).map { pow($0, Double(m)) } }
            let rho = p == 1 ? [0.5] : Multistep.solve(matrix, b)
            var c = termCoefficients(rho: Array(rho.dropLast()), r: rs, scale: bh).map { -$0 }
            c[0] += bh * rho[p - 1]                       // −B·ρ_p·(D̃ − D_i)
            onNew.append(-bh * rho[p - 1])
            for k in 0..<p { perEntry[k].append(c[k]) }
        }
        var extra: [(RowCoefficients, Tensor)] = [(1, x), (.perRow(onNew), denoised)]
        if let predictorTerm { extra.append((1, predictorTerm)) }
        return history.combination(perEntry, plus: extra)
    }

    /// h from the newest history point to `sigmaNext`, and `r_k` of the `older` points before it.
    private func steps(row r: Int, to sigmaNext: Double, older: Int) -> (h: Double, r: [Double]) {
        let lambda = history.lambda(0, row: r), h = -log(sigmaNext) - lambda
        return (h, (0..<older).map { (history.lambda($0 + 1, row: r) - lambda) / h })
    }

    /// The coefficients on history entries 0…k of `scale·Σ_k ρ_k·(D_k − D_0)/r_k`.
    private func termCoefficients(rho: [Double], r: [Double], scale: Double) -> [Double] {
        var c = [0.0] + rho.indices.map { scale * rho[$0] / r[$0] }
        c[0] = -c.dropFirst().reduce(0, +)
        return c
    }

    /// B(h) and `b_m`, m = 1…p, in data prediction (h → −h), as diffusers computes them.
    static func bCoefficients(h: Double, order p: Int, variant: UniPC.Variant) -> (bh: Double, b: [Double]) {
        let hh = -h
        let bh = variant == .bh1 ? hh : expm1(hh)
        var g = expm1(hh) / hh - 1, factorial = 1.0, b = [Double]()
        for m in 1...p {
            b.append(g * factorial / bh)
            factorial *= Double(m + 1)
            g = g / hh - 1 / factorial
        }
        return (bh, b)
    }
}
