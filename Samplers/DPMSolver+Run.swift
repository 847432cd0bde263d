import Foundation
import ScoreKitCore

/// A run of `DPMSolverPlusPlus`: one step per σ interval; the last `order − 1` denoised
/// estimates (with each row's σ) are the multistep history. A step to σ = 0 lands on `D_i`.
public struct DPMSolverRun: SamplingRun {
    let solver: DPMSolverPlusPlus
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let noise: any NoiseSource
    let context: SamplingContext
    /// Earlier denoised estimates, newest first.
    var history: MultistepHistory
    public private(set) var stepsTaken = 0

    init(solver: DPMSolverPlusPlus, model: any Denoiser, x: Tensor, schedules: RowSchedules,
         noise: any NoiseSource, context: SamplingContext) {
        self.solver = solver
        self.model = model
        self.x = x
        self.schedules = schedules
        self.noise = noise
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
        history.push(denoised, sigma: sigma)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // the step to σ = 0
        } else {
            let order = solver.sde ? min(solver.order, i + 1)
                : Multistep.lowerOrderFinal(solver.order, step: i, of: counted, toZero: false)
            let c = (0..<x.rows).map { coefficients(row: $0, order: min(order, history.count), sigmaNext: sigmaNext[$0]) }
            var extra: [(RowCoefficients, Tensor)] = [(.perRow(c.map(\.x)), x)]
            if solver.sde, solver.eta > 0 {
                let z = try noise.normal(rows: schedules.rows, shape: x.rowShape)
                extra.append((.perRow(c.map(\.noise)), z))
            }
            x = history.combination((0..<history.count).map { k in c.map { $0.d[k] } }, plus: extra)
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// One row's update coefficients: on x, on each D in the history (newest first), on z.
    private func coefficients(row r: Int, order: Int, sigmaNext: Double) -> (x: Double, d: [Double], noise: Double) {
        let lambda = history.lambda(0, row: r), h = -log(sigmaNext) - lambda
        let eta = solver.sde ? solver.eta : 0
        let hHat = (1 + eta) * h
        var d = Array(repeating: 0.0, count: history.count)
        d[0] = Multistep.phi1(hHat)
        let noise = solver.sde ? sigmaNext * (-expm1(-2 * eta * h)).squareRoot() * solver.sNoise : 0
        let x = sigmaNext / history[0].sigma[r] * exp(-eta * h)        // e^{−ĥ}
        guard order >= 2 else { return (x, d, noise) }
        let r0 = (lambda - history.lambda(1, row: r)) / h
        if order == 2 {
            let heun = solver.solverType == .heun || (solver.sde && solver.order == 3)
            let c1 = (heun ? Multistep.phi2(hHat) : 0.5 * Multistep.phi1(hHat)) / r0
            d[0] += c1
            d[1] -= c1
            return (x, d, noise)
        }
        // D1 = D1₀ + r0/(r0+r1)(D1₀ − D1₁), D2 = (D1₀ − D1₁)/(r0+r1); add φ₂·D1 − φ₃·D2.
        let r1 = (history.lambda(1, row: r) - history.lambda(2, row: r)) / h
        let phi2 = Multistep.phi2(hHat), phi3 = Multistep.phi3(hHat)
        let a = phi2 * (1 + r0 / (r0 + r1)) - phi3 / (r0 + r1)      // on D1₀
        let b = -phi2 * r0 / (r0 + r1) + phi3 / (r0 + r1)           // on D1₁
        d[0] += a / r0
        d[1] += -a / r0 + b / r1
        d[2] -= b / r1
        return (x, d, noise)
    }
}
