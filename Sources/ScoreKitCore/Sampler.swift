/// A sampler: turns initial noise into samples by calling a `Denoiser`.
///
/// A sampler is a value: its options are stored properties, fixed at creation from a
/// `SamplerOptions`. One call to `sample` draws a batch. Everything that varies per run —
/// the NFE counter, progress, cancellation, trajectory recording, the non-finite guard —
/// lives in the `SamplingContext`, and every random draw comes from the `NoiseSource`, so the
/// same sampler value can be shared across tasks.
public protocol Sampler: Sendable {
    /// The sampler's name, keys and NFE rule.
    static var descriptor: SamplerDescriptor { get }

    /// Validates user-given `key=value` pairs and fills in defaults. The default implementation
    /// checks them against `descriptor.keys`; a sampler with keys that depend on other keys
    /// (DLG's `integrator.KEY`) resolves them itself.
    static func resolve(_ pairs: [(key: String, value: String)]) throws -> SamplerOptions

    /// A sampler from resolved options (every key of the descriptor present and valid).
    /// Throws when the combination of values is invalid.
    init(options: SamplerOptions) throws

    /// The options this sampler was made from, with defaults filled in.
    var options: SamplerOptions { get }

    /// The denoiser calls per sample this configuration makes, or nil when it adapts
    /// (the context reports what was really used).
    var plannedNFE: Int? { get }

    /// This sampler configured for at most `nfe` denoiser calls per sample: its step count set
    /// to the most that fits. Throws when nothing fits, or when a step count the user gave
    /// explicitly needs more than `nfe`.
    func fitted(toNFE nfe: Int) throws -> Self

    /// Draws a batch.
    ///
    /// - Parameters:
    ///   - model: the denoiser (VE coordinates).
    ///   - z: standard-normal initial noise, `[N] + model.sampleShape`; the sampler scales it
    ///     to its own prior (VP: `z`; VE/EDM: `σ_max·z`).
    ///   - noise: the batch's source of further random draws.
    ///   - context: NFE counting, progress, cancellation, recording, the non-finite guard.
    /// - Returns: the samples, shaped like `z`.
    func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                context: SamplingContext) throws -> Tensor

    /// How a `SamplingJob` splits the sample indices `indices` into batches of at most
    /// `batchSize` rows for `workers` workers: every index in exactly one batch. Sample i
    /// depends only on (seed, i), so any split gives the same samples; it decides only how much
    /// work is repeated or shared. The default is `BatchPlan.contiguous` (contiguous ranges,
    /// at least one batch per worker); DLG keeps each chain's samples in one batch.
    func batches(of indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]]
}

extension Sampler {
    /// The default split: `BatchPlan.contiguous`.
    public func batches(of indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]] {
        BatchPlan.contiguous(indices, batchSize: batchSize, workers: workers)
    }

    /// The default: keys are the descriptor's, validated by `SamplerOptions`.
    public static func resolve(_ pairs: [(key: String, value: String)]) throws -> SamplerOptions {
        try descriptor.resolve(pairs)
    }

    /// The sampler's name.
    public var name: String { Self.descriptor.name }
    /// The spec string that recreates this sampler, with every key: `name:key=value,…`.
    public var spec: String { SamplerSpec(name: name, options: options).description }

    /// The common rule for samplers with a step-count key: the largest `steps` whose
    /// `nfe(steps)` fits the budget, or an error naming the budget and the smallest need.
    public func fittedSteps(toNFE budget: Int, key: String = "steps",
                            nfe: (Int) -> Int) throws -> Self {
        guard case .integer(let range) = Self.descriptor.key(key)?.kind else {
            preconditionFailure("\(name) has no integer key '\(key)'")
        }
        if options.isExplicit(key) {
            let need = nfe(options.int(key))
            guard need <= budget else {
                throw SamplerSpecError.overBudget(sampler: name, detail: "\(key)=\(options.int(key)) needs \(need) NFE per sample", budget: budget)
            }
            return self
        }
        guard nfe(range.lowerBound) <= budget else {
            throw SamplerSpecError.overBudget(sampler: name, detail: "its fewest steps (\(key)=\(range.lowerBound)) need \(nfe(range.lowerBound)) NFE per sample", budget: budget)
        }
        var lo = range.lowerBound, hi = min(range.upperBound, max(budget, lo))
        while lo < hi {                      // the largest steps with nfe(steps) ≤ budget
            let mid = lo + (hi - lo + 1) / 2
            if nfe(mid) <= budget { lo = mid } else { hi = mid - 1 }
        }
        return try Self(options: options.setting(key, to: String(lo)))
    }
}

/// What `scorekit samplers` prints about a sampler, and what spec parsing validates against.
public struct SamplerDescriptor: Sendable {
    /// The stable name used in specs.
    public let name: String
    /// One line: what it is.
    public let summary: String
    /// The paper it implements.
    public let reference: String
    /// Its keys, in the order specs print them.
    public let keys: [SamplerKey]
    /// How many denoiser calls per sample it makes, and how `--nfe` sets its steps.
    public let nfeRule: String

    /// A descriptor.
    public init(name: String, summary: String, reference: String, keys: [SamplerKey], nfeRule: String) {
        self.name = name
        self.summary = summary
        self.reference = reference
        self.keys = keys
        self.nfeRule = nfeRule
    }

    /// The key named `name`, if the sampler has one.
    public func key(_ name: String) -> SamplerKey? { keys.first { $0.name == name } }

    /// Validates user-given `key=value` pairs and fills in defaults.
    public func resolve(_ given: [(key: String, value: String)]) throws -> SamplerOptions {
        var values: [String: String] = [:]
        for (k, v) in given {
            guard let key = key(k) else {
                throw SamplerSpecError.unknownKey(sampler: name, key: k, valid: keys.map(\.name))
            }
            guard values[k] == nil else { throw SamplerSpecError.duplicateKey(sampler: name, key: k) }
            guard let canonical = key.kind.canonical(v) else {
                throw SamplerSpecError.badValue(sampler: name, key: k, value: v, expected: key.kind.summary)
            }
            values[k] = canonical
        }
        return SamplerOptions(entries: keys.map { ($0.name, values[$0.name] ?? $0.defaultValue) },
                              explicitKeys: Set(values.keys))
    }
}

/// A sampler that can start part-way down the noise scale: every row of the VE state `x` at
/// its own noise level `sigma[r]`. Denoising-MCMC hands each chain sample to an integrator
/// this way; `sample` is the special case of every row starting at the sampler's σ_max.
///
/// For each row the integrator lays its own schedule (same kind, same `steps`) over
/// `[sigmaEnd, sigma[r]]` and returns the VE state at `sigmaEnd` — not denoised: the caller
/// decides the final step (DLG takes a Tweedie step `x + σ_end²·score`).
public protocol Integrator: Sampler {
    /// Integrates each row from `sigma[r]` down to `sigmaEnd` (> 0); returns VE coordinates.
    func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                   noise: any NoiseSource, context: SamplingContext) throws -> Tensor

    /// The denoiser calls per sample `integrate` makes (nil when adaptive).
    var plannedIntegrationNFE: Int? { get }
}
