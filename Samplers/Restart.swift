import Foundation
import ScoreKitCore

/// Restart sampling (Xu, Deng, Cheng, Tian, Liu & Jaakkola, "Restart Sampling for Improving
/// Generative Processes", NeurIPS 2023, Algorithm 1): Heun steps of the probability-flow ODE
/// on the main schedule, with restart intervals that add noise back and integrate again.
///
/// From `x = σ_0·z` along σ_0 > … > σ_{N−1} > σ_N = 0 (EDM's Heun steps, the last one Euler).
/// Each restart interval `[t_min, t_max]` with n steps and K repeats acts at the first main
/// level σ_p ≤ t_min (σ_{N−1} if none is): once the main process reaches σ_p, K times
///
///     x ← x + √(t̂² − σ_p²)·z,   t̂ = min(t_max, σ_0)                (forward: back up to t̂)
///     n Heun steps on Karras levels (ρ = 7) from t̂ down to σ_p     (backward: the same ODE)
///
/// then the main process goes on. Several intervals run in the order given.
///
/// NFE = 2·N − 1 + Σ 2·n·K (each restart step is a full Heun step; the main schedule's last
/// step to 0 is Euler). `restarts=none` (or K = 0) is `heun` exactly. The restart noise comes
/// from the `NoiseSource`, one draw per row per pass.
///
/// As an `Integrator` each row lays the main schedule over its own `[σ_end, σ_r]` and restarts
/// as above with t̂ = min(t_max, σ_r); a row that starts at or below an interval's t_min has
/// nothing to restart there and skips its steps (no calls), so an integration makes at most
/// `plannedIntegrationNFE` calls per row.
public struct Restart: ScheduledSampler, Equatable {
    /// One restart interval: where it acts, how many Heun steps each pass takes, how many passes.
    public struct Interval: Sendable, Hashable {
        /// The restart acts at the first main level at or below `tMin`, and goes back up to `tMax`.
        public var tMin: Double, tMax: Double
        /// Heun steps per pass (n) and passes (K).
        public var steps: Int, repeats: Int

        /// An interval; see the properties.
        public init(tMin: Double, steps: Int, repeats: Int, tMax: Double) {
            (self.tMin, self.steps, self.repeats, self.tMax) = (tMin, steps, repeats, tMax)
        }

        /// Denoiser calls of its passes.
        var nfe: Int { 2 * steps * repeats }
    }

    /// Main σ levels before the final step to 0; nil: 18, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The main schedule's σ's.
    public var schedule: NoiseSchedule
    /// The restart intervals, in the order they act.
    public var restarts: [Interval]

    /// The default restart: one interval, t_min 0.06 → t_max 0.3, 2 steps, 2 passes.
    public static let defaultRestarts = [Interval(tMin: 0.06, steps: 2, repeats: 2, tMax: 0.3)]

    /// A sampler; see the properties.
    public init(steps: Int? = nil, schedule: NoiseSchedule = .karras(), restarts: [Interval] = Restart.defaultRestarts) {
        self.steps = steps
        self.schedule = schedule
        self.restarts = restarts
    }

    public static let declaration = SamplerDeclaration<Restart>(
        name: "restart",
        summary: "Restart sampling: Heun ODE steps with restart intervals that add noise back and integrate again",
        reference: "Xu, Deng, Cheng, Tian, Liu & Jaakkola, Restart Sampling for Improving Generative Processes, NeurIPS 2023",
        nfeRule: "NFE = 2·steps − 1 + Σ 2·n·K over the restart intervals; --nfe N sets the main steps",
        base: Restart(),
        options: [.integer("steps", \.steps, in: 1...100_000, auto: "18, or the most --nfe allows",
                           help: "main σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom })]
            + NoiseSchedule.options.map { $0.lifted(\.schedule) } + [restartsOption])

    /// The `restarts` key: `t_min:n:K:t_max` entries separated by `/`, or `none`.
    static let restartsOption = SamplerOption<Restart>(
        key: "restarts", values: "t_min:n:K:t_max entries separated by / (0 < t_min < t_max, n ≥ 1 steps, K ≥ 0 passes), or none",
        help: "restart intervals: at the first main σ ≤ t_min go back up to t_max and take n Heun steps down, K times",
        text: { format($0.restarts) },
        write: { s, text, _ in s.restarts = try parse(text) })

    static func format(_ intervals: [Interval]) -> String {
        intervals.isEmpty ? "none" : intervals.map {
            "\(canonicalNumber($0.tMin)):\($0.steps):\($0.repeats):\(canonicalNumber($0.tMax))"
        }.joined(separator: "/")
    }

    static func parse(_ text: String) throws -> [Interval] {
        guard text != "none" else { return [] }
        let expected = "t_min:n:K:t_max entries separated by / (0 < t_min < t_max, n in 1…10000, K in 0…1000), or none"
        return try text.split(separator: "/", omittingEmptySubsequences: false).map { entry in
            let f = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let lo = Double(f[0]), let n = Int(f[1]), let k = Int(f[2]), let hi = Double(f[3]),
                  lo > 0, lo < hi, hi.isFinite, (1...10_000).contains(n), (0...1000).contains(k) else {
                throw InvalidOptionValue(expected: expected + "; '\(entry)' is not one")
            }
            return Interval(tMin: lo, steps: n, repeats: k, tMax: hi)
        }
    }

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { 18 }
    /// Denoiser calls of every restart pass.
    var restartNFE: Int { restarts.reduce(0) { $0 + $1.nfe } }

    /// Denoiser calls of `sample` over `levels` σ levels.
    public func nfe(levels: Int) -> Int { 2 * levels - 1 + restartNFE }
    /// With restarts, at least 2 main levels: with σ_max alone there is nothing below t_min to
    /// restart from.
    public var fewestLevels: Int { restarts.isEmpty ? 1 : 2 }
    public var plannedIntegrationNFE: Int? { 2 * max(levelCount - 1, 1) + restartNFE }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> RestartRun {
        let sigmas = sigmas(for: model)
        let path = RestartPath(main: sigmas + [0], restarts: restarts)
        if let idle = path.segments.first(where: \.isIdle) {
            throw SamplingError.invalidInput("\(name): a restart interval has nothing to restart: its t_max is not above the main level σ = \(canonicalNumber(idle.from)) where it acts (σ's \(canonicalNumber(sigmas[0]))…\(canonicalNumber(sigmas[sigmas.count - 1])))")
        }
        return RestartRun(model: model, x: sigmas[0] * z, paths: Array(repeating: path, count: z.rows), batchRows: nil,
                          noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> RestartRun {
        let paths = integrationSigmas(for: model, from: sigma, to: sigmaEnd).map { RestartPath(main: $0, restarts: restarts) }
        return RestartRun(model: model, x: x, paths: paths, batchRows: batchRows, noise: noise, context: context)
    }
}

/// One row's whole path: the main Heun steps with the restart passes spliced in.
struct RestartPath: Equatable {
    /// One Heun step from `from` to `to`, after adding `√(from² − σ²)·z` when `jump` (a pass's start).
    struct Segment: Equatable {
        let from: Double, to: Double, jump: Bool
        /// A step that does nothing (a restart with nothing to restart).
        var isIdle: Bool { !(from > to) }
    }

    let segments: [Segment]

    /// The path along `main` (σ's descending, the last possibly 0) with `restarts`.
    init(main: [Double], restarts: [Restart.Interval]) {
        let lastPositive = main.lastIndex { $0 > 0 } ?? 0
        let points = restarts.map { r in main.firstIndex { $0 > 0 && $0 <= r.tMin } ?? lastPositive }
        var out: [Segment] = []
        for i in main.indices {
            for (r, interval) in restarts.enumerated() where points[r] == i {
                out += Self.passes(interval, at: main[i], top: min(interval.tMax, main[0]))
            }
            if i + 1 < main.count { out.append(Segment(from: main[i], to: main[i + 1], jump: false)) }
        }
        segments = out
    }

    /// K passes from `top` back down to `sigma` in n Karras steps (idle when `top` ≤ `sigma`).
    static func passes(_ interval: Restart.Interval, at sigma: Double, top: Double) -> [Segment] {
        guard top > sigma else {
            return Array(repeating: Segment(from: sigma, to: sigma, jump: false), count: interval.steps * interval.repeats)
        }
        var levels = SigmaSchedule.karras(count: interval.steps + 1, sigmaMin: sigma, sigmaMax: top)
        (levels[0], levels[interval.steps]) = (top, sigma)
        let pass = (0..<interval.steps).map { Segment(from: levels[$0], to: levels[$0 + 1], jump: $0 == 0) }
        return Array(Array(repeating: pass, count: interval.repeats).joined())
    }
}

/// A run of `Restart`: one Heun step (or restart jump and step) per segment of each row's path.
public struct RestartRun: SamplingRun {
    let model: any Denoiser
    public var x: Tensor
    let paths: [RestartPath]
    /// The batch rows being stepped (nil: all).
    let batchRows: [Int]?
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    init(model: any Denoiser, x: Tensor, paths: [RestartPath], batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) {
        (self.model, self.x, self.paths, self.batchRows, self.noise, self.context) = (model, x, paths, batchRows, noise, context)
    }

    public var sigma: [Double] {
        paths.map { stepsTaken == 0 ? $0.segments[0].from : $0.segments[stepsTaken - 1].to }
    }
    public var plannedSteps: Int? { paths.first?.segments.count ?? 0 }
    public var isFinished: Bool { stepsTaken == plannedSteps }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, before = sigma
        let segments = paths.map { $0.segments[i] }
        try context.beginStep(i, of: plannedSteps ?? 0, sigma: segments[0].from)
        try jump(segments, from: before)
        let active = segments.indices.filter { !segments[$0].isIdle }
        var denoised = x
        if active.count == x.rows {
            (x, denoised) = try heun(x, sigma: segments.map(\.from), next: segments.map(\.to), rows: batchRows)
        } else if !active.isEmpty {
            let (y, d) = try heun(x.gatherRows(active), sigma: active.map { segments[$0].from },
                                  next: active.map { segments[$0].to }, rows: active.map(batchRow))
            x.scatterRows(active, from: y)
            denoised.scatterRows(active, from: d)
        }
        let after = segments.map(\.to)
        try context.endStep(x, sigma: after, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: before, sigmaNext: after, denoised: denoised)
    }

    private func batchRow(_ k: Int) -> Int { batchRows?[k] ?? k }

    /// Adds `√(σ_from² − σ²)·z` to the rows whose segment starts a restart pass; draws noise
    /// for those rows only, so a row's draws do not depend on its batch-mates.
    private mutating func jump(_ segments: [RestartPath.Segment], from sigma: [Double]) throws {
        let rows = segments.indices.filter { segments[$0].jump }
        guard !rows.isEmpty else { return }
        var z = Tensor(zeros: x.shape)
        z.scatterRows(rows, from: try noise.normal(rows: rows.map(batchRow), shape: x.rowShape))
        let scale = segments.indices.map { r in segments[r].jump ? (segments[r].from * segments[r].from - sigma[r] * sigma[r]).squareRoot() : 0 }
        x = Tensor.combination([(1, x), (.perRow(scale), z)])
    }

    /// One Heun step of `x` from `sigma` to `next` (Euler when every `next` is 0, landing on D),
    /// written as EDM's sampler writes it so that without restarts the result is `heun`'s.
    private func heun(_ x: Tensor, sigma: [Double], next: [Double], rows: [Int]?) throws -> (Tensor, Tensor) {
        let denoised = try context.denoise(model, x, sigma: sigma, rows: rows)
        if next.allSatisfy({ $0 == 0 }) { return (denoised, denoised) }
        let ratio = zip(next, sigma).map { $0 / $1 }
        let euler = Tensor.combination([(.perRow(ratio), x), (.perRow(ratio.map { 1 - $0 }), denoised)])
        let denoisedNext = try context.denoise(model, euler, sigma: next, rows: rows)
        let a = zip(next, sigma).map { ($0 - $1) / (2 * $1) }
        let b = zip(next, sigma).map { ($0 - $1) / (2 * $0) }
        let y = Tensor.combination([(.perRow(a.map { 1 + $0 }), x), (.perRow(a.map { -$0 }), denoised),
                                    (.perRow(b), euler), (.perRow(b.map { -$0 }), denoisedNext)])
        return (y, denoised)
    }
}
