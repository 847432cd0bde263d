/// Inpainting for every sampler, on the stepping interface (Song et al., "Score-Based
/// Generative Modeling through Stochastic Differential Equations", ICLR 2021, appendix I.2,
/// the `get_pc_inpainter` of score_sde; RePaint: Lugmayr et al., "RePaint: Inpainting using
/// Denoising Diffusion Probabilistic Models", CVPR 2022, algorithm 1).
///
/// Given known values y and a mask m (1 = known, 0 = generate), after every step of any
/// `SamplingRun`, with σ the row's level after the step and z from the run's `NoiseSource`:
///
///     x ← m ⊙ (y + σ·z) + (1 − m) ⊙ x          (σ > 0)
///     x ← m ⊙ y        + (1 − m) ⊙ x          (σ = 0, or the run finished: a selection, bit-exact)
///
/// NCSNv2's annealed-Langevin inpainting (`anneal_Langevin_dynamics_inpainting`) sets the known
/// part to a fresh y + σ_i·z before every Langevin step; replacing after each step at the level
/// of the next is the same draw at the same point, except that the end result here keeps y exactly.
///
/// RePaint (`resample` U, `jump` j): after j steps from σ_a to σ_b and their replacements, the
/// state goes back up, `x ← x + √(σ_a² − σ_b²)·z`, and the j steps are redone from a copy of the
/// run taken at σ_a (its multistep history included), U times. Every redone step is a real step:
/// NFE = (U + 1) × the sampler's NFE for a run whose steps each cost a fixed number of calls.
public struct KnownValues: Sendable, Equatable {
    /// The known data y, `[N] + sampleShape` (values where the mask is 0 are ignored).
    public let data: Tensor
    /// The mask: `[N] + sampleShape` (one per row) or `[1] + sampleShape` (one for all rows);
    /// every value 0 or 1, 1 marking a known value.
    public let mask: Tensor

    /// Known values; throws `SamplingError.invalidInput` when the mask is not 0/1, its shape
    /// is not the data's (with one row or the data's rows), or a known value is not finite.
    public init(data: Tensor, mask: Tensor) throws {
        guard data.shape.count >= 2, data.rows >= 1 else {
            throw SamplingError.invalidInput("inpainting: the known data has shape \(data.shape); expected [N] + sample shape")
        }
        guard mask.rowShape == data.rowShape, mask.rows == 1 || mask.rows == data.rows else {
            throw SamplingError.invalidInput("inpainting: the mask has shape \(mask.shape); expected \(data.shape) (one per row) or \([1] + data.rowShape) (one for all rows)")
        }
        if let bad = mask.scalars.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw SamplingError.invalidInput("inpainting: mask value \(mask.scalars[bad]) at row \(bad / mask.rowSize) (counting from 0); a mask holds only 0 (generate) and 1 (known)")
        }
        let size = data.rowSize
        for i in data.scalars.indices where !data.scalars[i].isFinite && mask.scalars[(mask.rows == 1 ? i % size : i)] == 1 {
            throw SamplingError.invalidInput("inpainting: the known data holds \(data.scalars[i]) at row \(i / size) (counting from 0); known values must be finite")
        }
        self.data = data
        self.mask = mask
    }

    /// The known values of some rows, in that order.
    public func rows(_ indices: [Int]) -> KnownValues {
        try! KnownValues(data: data.gatherRows(indices), mask: mask.rows == 1 ? mask : mask.gatherRows(indices))
    }

    /// Whether value `i` of row `r` is known.
    @inline(__always) func isKnown(row r: Int, _ i: Int) -> Bool {
        mask.scalars[(mask.rows == 1 ? 0 : r * data.rowSize) + i] == 1
    }

    /// `x` with its known values set to `y + σ_r·z` (rows with σ_r > 0; `z` drawn from `noise`
    /// for those rows only, so a row's draws never depend on its batch-mates) or to `y` exactly
    /// (rows with σ_r = 0, and every row when `exact`).
    public func imposed(on x: Tensor, sigma: [Double], exact: Bool = false, noise: any NoiseSource) throws -> Tensor {
        let noisy = exact ? [] : sigma.indices.filter { sigma[$0] > 0 }
        let z = noisy.isEmpty ? nil : try noise.normal(rows: noisy, shape: x.rowShape)
        var out = x
        let size = x.rowSize
        var slot = [Int](repeating: -1, count: x.rows)
        for (k, r) in noisy.enumerated() { slot[r] = k }
        for r in 0..<x.rows {
            for i in 0..<size where isKnown(row: r, i) {
                let y = data.scalars[r * size + i]
                if let z, slot[r] >= 0 {
                    out.scalars[r * size + i] = Float(Double(y) + sigma[r] * Double(z.scalars[slot[r] * size + i]))
                } else {
                    out.scalars[r * size + i] = y
                }
            }
        }
        return out
    }
}

/// RePaint's resampling: after every `jump` steps, go back up and redo them, `resample` times.
public struct Resampling: Sendable, Equatable {
    /// U: how many times each group of steps is redone (0: plain replacement).
    public var resample: Int
    /// j: the steps in each group (RePaint's jump length).
    public var jump: Int

    /// No resampling.
    public static let none = Resampling(resample: 0, jump: 1)

    /// Resampling; see the properties.
    public init(resample: Int, jump: Int = 1) {
        self.resample = resample
        self.jump = jump
    }

    /// This value if resample ≥ 0 and jump ≥ 1.
    public func validated() throws -> Self {
        guard resample >= 0, jump >= 1 else {
            throw SamplingError.invalidInput("inpainting: resample must be ≥ 0 and jump ≥ 1, got resample \(resample), jump \(jump)")
        }
        return self
    }
}
