/// The output of `SamplingJob.run()`: every sample and every per-sample count.
public struct SamplingResult: Sendable {
    /// The samples, `[count] + sampleShape`.
    public let samples: Tensor
    /// Denoiser calls each sample used.
    public let nfe: [Int]
    /// Network rows those calls cost each sample (equal to `nfe` unless a wrapper such as
    /// classifier-free guidance evaluates more than one row per call).
    public let networkRows: [Int]
    /// Noise-level estimator calls each sample used.
    public let classifierCalls: [Int]
    /// Per-sample denoiser calls by part of the algorithm (empty for one-phase samplers; a
    /// sample whose batch never reached a part counts 0 there).
    public let nfeByPart: [String: [Int]]
    /// Row-evaluations shared by the whole run (chain burn-in and the like), by label.
    public let sharedNFE: [String: Int]
    /// Noise-level estimator calls shared by the whole run, by label.
    public let sharedClassifierCalls: [String: Int]
    /// Per-sample values the sampler reported (e.g. DLG's hand-off σ), by name.
    public let diagnostics: [String: [Double]]
    /// For each sample, the σ at which an adaptive sampler stopped integrating because the
    /// NFE budget ran out (nil: the sample finished its integration).
    public let stoppedAt: [Double?]
    /// Wall-clock seconds.
    public let seconds: Double

    /// How many samples stopped early, and where.
    public var earlyStops: EarlyStopSummary { EarlyStopSummary(stoppedAt) }

    /// The same figures as a `SamplingSummary` (what `run(into:)` returns).
    public var summary: SamplingSummary {
        var tally = SamplingSummary.Tally()
        tally.add(nfe: nfe, networkRows: networkRows, classifier: classifierCalls, byPart: nfeByPart, diagnostics: diagnostics, stoppedAt: stoppedAt)
        tally.sharedNFE = sharedNFE
        tally.sharedClassifierCalls = sharedClassifierCalls
        return tally.summary(count: nfe.count, seconds: seconds)
    }
}

/// What `SamplingJob.run(into:)` returns: the run's figures without the samples and without
/// per-sample arrays, so its size does not grow with the count.
public struct SamplingSummary: Sendable {
    /// Samples drawn.
    public let count: Int
    /// Denoiser calls per sample.
    public let nfe: CountSummary
    /// Network rows per sample those calls cost (see `SamplingResult.networkRows`).
    public let networkRows: CountSummary
    /// Noise-level estimator calls per sample.
    public let classifierCalls: CountSummary
    /// Denoiser calls per sample by part of the algorithm.
    public let nfeByPart: [String: CountSummary]
    /// Row-evaluations shared by the whole run, by label.
    public let sharedNFE: [String: Int]
    /// Noise-level estimator calls shared by the whole run, by label.
    public let sharedClassifierCalls: [String: Int]
    /// Per-sample values the sampler reported, summarised, by name.
    public let diagnostics: [String: ValueSummary]
    /// Samples an adaptive sampler stopped short of the end of their integration because the
    /// NFE budget ran out.
    public let earlyStops: EarlyStopSummary
    /// Wall-clock seconds.
    public let seconds: Double

    /// Shared evaluations spread over the samples (0 when there are none).
    public var amortisedSharedNFE: Double { Double(sharedNFE.values.reduce(0, +)) / Double(max(count, 1)) }

    /// Adds up batches' figures.
    struct Tally {
        var nfe = CountTally(), networkRows = CountTally(), classifier = CountTally()
        var byPart: [String: CountTally] = [:]
        var sharedNFE: [String: Int] = [:], sharedClassifierCalls: [String: Int] = [:]
        var diagnostics: [String: ValueTally] = [:]
        var earlyStops = EarlyStopSummary([])

        mutating func add(nfe: [Int], networkRows: [Int], classifier: [Int], byPart: [String: [Int]], diagnostics: [String: [Double]],
                          stoppedAt: [Double?]) {
            earlyStops = earlyStops.adding(EarlyStopSummary(stoppedAt))
            self.nfe.add(nfe)
            self.networkRows.add(networkRows)
            self.classifier.add(classifier)
            for (part, counts) in byPart { self.byPart[part, default: CountTally()].add(counts) }
            for (name, values) in diagnostics { self.diagnostics[name, default: ValueTally()].add(values) }
        }

        func summary(count: Int, seconds: Double) -> SamplingSummary {
            // A part a batch never reached counts 0 for that batch's samples.
            let parts = byPart.mapValues { $0.padded(toCount: count).summary }
            return SamplingSummary(count: count, nfe: nfe.summary, networkRows: networkRows.summary,
                                   classifierCalls: classifier.summary, nfeByPart: parts,
                                   sharedNFE: sharedNFE, sharedClassifierCalls: sharedClassifierCalls,
                                   diagnostics: diagnostics.mapValues(\.summary), earlyStops: earlyStops, seconds: seconds)
        }
    }
}

/// How many samples an adaptive sampler stopped short of the end of their integration because
/// the NFE budget ran out, and the σ's at which they stopped (they were denoised from there, so
/// they are noisier than the sampler's tolerance promises).
public struct EarlyStopSummary: Sendable, Codable, Equatable {
    /// Samples that stopped early.
    public let count: Int
    /// The smallest, mean and largest σ at which they stopped (0 when none did).
    public let sigmaMin: Double, sigmaMean: Double, sigmaMax: Double

    /// The summary of per-sample stops (nil: the sample finished).
    public init(_ stoppedAt: [Double?]) {
        let sigmas = stoppedAt.compactMap { $0 }
        count = sigmas.count
        sigmaMin = sigmas.min() ?? 0
        sigmaMax = sigmas.max() ?? 0
        sigmaMean = sigmas.isEmpty ? 0 : sigmas.reduce(0, +) / Double(sigmas.count)
    }

    private init(count: Int, sigmaMin: Double, sigmaMean: Double, sigmaMax: Double) {
        (self.count, self.sigmaMin, self.sigmaMean, self.sigmaMax) = (count, sigmaMin, sigmaMean, sigmaMax)
    }

    /// This summary and `other` together (batch by batch).
    func adding(_ other: EarlyStopSummary) -> EarlyStopSummary {
        guard other.count > 0 else { return self }
        guard count > 0 else { return other }
        let total = count + other.count
        return EarlyStopSummary(count: total, sigmaMin: min(sigmaMin, other.sigmaMin),
                                sigmaMean: (sigmaMean * Double(count) + other.sigmaMean * Double(other.count)) / Double(total),
                                sigmaMax: max(sigmaMax, other.sigmaMax))
    }

    enum CodingKeys: String, CodingKey {
        case count, sigmaMin = "sigma_min", sigmaMean = "sigma_mean", sigmaMax = "sigma_max"
    }
}

/// Mean, minimum and maximum of per-sample counts.
public struct CountSummary: Sendable, Codable, Equatable {
    /// The mean, the smallest and the largest count.
    public let mean: Double, min: Int, max: Int
    /// The summary of `values` (zeros when empty).
    public init(_ values: [Int]) {
        var tally = CountTally()
        tally.add(values)
        self = tally.summary
    }

    init(mean: Double, min: Int, max: Int) {
        self.mean = mean
        self.min = min
        self.max = max
    }
}

/// The median and mean of per-sample values (such as DLG's hand-off σ).
public struct ValueSummary: Sendable, Equatable {
    /// The value at position ⌊n/2⌋ in sorted order (NaN when empty), and the mean.
    public let median: Double, mean: Double
}

/// Count, sum, minimum and maximum of integers, added batch by batch.
struct CountTally {
    private(set) var count = 0, sum = 0, min = Int.max, max = Int.min

    mutating func add(_ values: [Int]) {
        for v in values {
            sum += v
            min = Swift.min(min, v)
            max = Swift.max(max, v)
        }
        count += values.count
    }

    /// This tally with zeros for the samples it has not seen.
    func padded(toCount total: Int) -> CountTally {
        guard total > count else { return self }
        var t = self
        t.min = Swift.min(min, 0)
        t.max = Swift.max(max, 0)
        t.count = total
        return t
    }

    var summary: CountSummary {
        count == 0 ? CountSummary(mean: 0, min: 0, max: 0) : CountSummary(mean: Double(sum) / Double(count), min: min, max: max)
    }
}

/// Exact counts of distinct values: an exact median in memory that grows with the number of
/// distinct values, not of samples (DLG's hand-off σ takes values on the estimator's grid).
struct ValueTally {
    private var counts: [Double: Int] = [:]
    private var total = 0

    mutating func add(_ values: [Double]) {
        for v in values { counts[v, default: 0] += 1 }
        total += values.count
    }

    var summary: ValueSummary {
        guard total > 0 else { return ValueSummary(median: .nan, mean: .nan) }
        var seen = 0, median = Double.nan
        for (value, n) in counts.sorted(by: { $0.key < $1.key }) {
            seen += n
            if seen > total / 2 { median = value; break }
        }
        let sum = counts.sorted { $0.key < $1.key }.reduce(0.0) { $0 + $1.key * Double($1.value) }
        return ValueSummary(median: median, mean: sum / Double(total))
    }
}
