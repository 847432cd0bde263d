import Foundation
import ScoreKitCore

/// The discrete variance-preserving (DDPM) noise schedule: `x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε`
/// for t = 0 … T−1, with `ᾱ_t = Π_{s ≤ t} (1 − β_s)` (Ho et al., "Denoising Diffusion
/// Probabilistic Models", 2020). All coefficients in Float64.
public struct DiscreteVPSchedule: Sendable, Hashable {
    /// How the betas are laid out.
    public enum Betas: String, Sendable, CaseIterable, Codable {
        /// `β_t` linear from `betaStart` to `betaEnd` (DDPM: 1e-4 … 0.02).
        case linear
        /// `ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2)`, s = 0.008, with β clipped at 0.999
        /// (Nichol & Dhariwal, "Improved DDPM", 2021). Takes no `betaStart`/`betaEnd`.
        case cosine
        /// `β_t = sigmoid(linspace(−6, 6, T)_t)·(betaEnd − betaStart) + betaStart`, with
        /// `sigmoid(x) = 1/(1 + e^{−x})`: slow at both ends, fast in the middle (the schedule of
        /// GeoDiff, Xu et al. 2022, and of the DDPM tutorials on 2-D toys, which take T = 100,
        /// 1e-5 … 5e-3).
        case sigmoid

        /// Whether `betaStart`/`betaEnd` shape the betas (linear and sigmoid; not cosine).
        public var hasRange: Bool { self != .cosine }
    }

    /// DDPM's β range, the default of `linear` and `sigmoid`.
    public static let defaultRange = (start: 1e-4, end: 0.02)

    /// β_t for t = 0 … T−1.
    public let betas: [Double]
    /// ᾱ_t = Π_{s ≤ t}(1 − β_s).
    public let alphasCumprod: [Double]

    /// The number of training timesteps T.
    public var trainSteps: Int { betas.count }

    /// A schedule of `trainSteps` betas; `betaStart`/`betaEnd` (0 < start < end < 1) shape
    /// `linear` and `sigmoid` and are ignored by `cosine`.
    public init(betas kind: Betas = .linear, trainSteps: Int = 1000,
                betaStart: Double = defaultRange.start, betaEnd: Double = defaultRange.end) {
        precondition(trainSteps >= 2, "DiscreteVPSchedule needs at least two timesteps")
        let t = Double(trainSteps)
        switch kind {
        case .linear:
            betas = (0..<trainSteps).map { i in
                betaStart + (betaEnd - betaStart) * Double(i) / Double(trainSteps - 1)
            }
        case .sigmoid:
            betas = (0..<trainSteps).map { i in
                // numpy's linspace(−6, 6, T): −6 + i·step, the last point exactly 6.
                let x = i == trainSteps - 1 ? 6 : -6 + Double(i) * (12 / Double(trainSteps - 1))
                return 1 / (1 + exp(-x)) * (betaEnd - betaStart) + betaStart
            }
        case .cosine:
            let s = 0.008
            func alphaBar(_ u: Double) -> Double { pow(cos((u / t + s) / (1 + s) * .pi / 2), 2) }
            betas = (0..<trainSteps).map { i in
                min(1 - alphaBar(Double(i + 1)) / alphaBar(Double(i)), 0.999)
            }
        }
        var product = 1.0
        alphasCumprod = betas.map { b in product *= (1 - b); return product }
    }

    /// The VE noise level of timestep t: `σ_t = √((1 − ᾱ_t)/ᾱ_t)`.
    public func sigma(at t: Int) -> Double { NoiseConversion.sigma(alphaBar: alphasCumprod[t]) }

    /// `σ_t` for every timestep, ascending in t.
    public var sigmas: [Double] { alphasCumprod.map(NoiseConversion.sigma(alphaBar:)) }
}

/// How S sampling timesteps are chosen from the T training timesteps (descending order).
///
/// For T = 1000, S = 10: `leading` 900, 800, …, 0 (DDIM's "uniform", diffusers' default);
/// `trailing` 999, 899, …, 99; `linspace` round(linspace(0, T−1, S)) = 999, 888, …, 0;
/// `quad` ⌊linspace(0, √(0.8T), S)²⌋ = 800, …, 0 (DDIM's quadratic skip);
/// `linspace-no-zero` round(linspace(0, T−1, S+1)) without its 0 = 999, 899, …, 500, 400, …, 100
/// (diffusers' `timestep_spacing="linspace"` of its multistep schedulers — DPM-Solver, UniPC,
/// DEIS — whose last step then goes to σ = 0).
public enum TimestepSpacing: String, Sendable, CaseIterable, Codable {
    case leading, trailing, linspace, quad
    /// S+1 points of `linspace`, the 0 dropped: diffusers' multistep schedulers' default.
    case linspaceNoZero = "linspace-no-zero"

    /// The sampling timesteps, descending. `quad` can repeat small timesteps when S is large;
    /// repeats are dropped, so it may return fewer than `steps` entries.
    public func timesteps(steps: Int, trainSteps: Int) -> [Int] {
        precondition(steps >= 1 && steps <= trainSteps, "need 1 ≤ steps ≤ T")
        let s = Double(steps), t = Double(trainSteps)
        var ascending: [Int]
        switch self {
        case .leading:
            let ratio = trainSteps / steps
            ascending = (0..<steps).map { $0 * ratio }
        case .trailing:
            let ratio = t / s
            // numpy: round(arange(T, 0, -T/S)) - 1, i.e. T - k·T/S for k = 0 … S-1.
            ascending = (0..<steps).reversed().map { k in Int((t - Double(k) * ratio).rounded(.toNearestOrEven)) - 1 }
        case .linspace:
            ascending = Self.numpyLinspace(0, t - 1, steps).map { Int($0.rounded(.toNearestOrEven)) }
        case .quad:
            ascending = Self.numpyLinspace(0, (0.8 * t).squareRoot(), steps).map { Int($0 * $0) }
        case .linspaceNoZero:
            ascending = Self.numpyLinspace(0, t - 1, steps + 1).dropFirst().map { Int($0.rounded(.toNearestOrEven)) }
        }
        var seen = Set<Int>()
        return ascending.reversed().filter { seen.insert($0).inserted }
    }

    /// `numpy.linspace(start, stop, n)` value for value: `start + i·step`, the last exactly `stop`.
    private static func numpyLinspace(_ start: Double, _ stop: Double, _ n: Int) -> [Double] {
        guard n > 1 else { return [start] }
        let step = (stop - start) / Double(n - 1)
        return (0..<n).map { $0 == n - 1 ? stop : start + Double($0) * step }
    }
}
