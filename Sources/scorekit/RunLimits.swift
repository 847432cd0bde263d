import Foundation
import ScoreKit

/// What one run may ask for, checked before any work starts so an absurd request fails at
/// once with a line naming the limit, rather than growing memory or running for years.
/// docs/getting-started.md ("Limits") documents the figures.
struct RunLimits {
    /// The most bytes of samples (samples × values per sample × 4) one run writes: 2⁴⁰ (1 TiB).
    static let maxOutputBytes = 1 << 40
    /// The most denoiser evaluations (planned NFE per sample × samples) a run starts without
    /// `--force`: 10¹⁰.
    static let maxEvaluations = 1e10
    /// From this many planned evaluations on (10⁸), progress is also printed to a stderr that
    /// is not a terminal: a line at every tenth.
    static let largeEvaluations = 1e8
    /// Bytes of memory per sample a streamed run (.npy, .safetensors) holds whatever the batch:
    /// the sample's index in the job's batch plan.
    static let streamedBytesPerSample = 8
    /// Bytes of memory per sample a collected run (.csv, .png, stdout) holds besides the sample
    /// itself: its index and its two call counts.
    static let collectedBytesPerSample = 24
    /// How many copies of the samples a collected run holds at its peak (the samples and their
    /// encoded text or picture), counted generously.
    static let collectedCopies = 5

    /// Bytes of free space on the file system holding `folder` (for an unprivileged writer),
    /// or nil when it cannot be asked.
    static func freeBytes(of folder: URL) -> Int? {
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int(info.f_bavail).multipliedReportingOverflow(by: Int(info.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// The memory a run may plan to hold: half of this machine's physical memory.
    static var memoryLimit: Int { Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max))) }

    /// `n` bytes for a message: "8.0 TB", "512 MB", "12 bytes" (decimal units).
    static func bytes(_ n: Int) -> String { bytes(Double(n)) }

    /// `n` bytes for a message, from a Double (for sizes that overflow Int).
    static func bytes(_ n: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var value = n, unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? String(format: "%.0f bytes", value) : String(format: "%.1f %@", value, units[unit])
    }

    /// A count for a message: exact below a million, else as "1e12" or "2.5e10".
    static func count(_ n: Double) -> String {
        guard n >= 1e6, n.isFinite else { return String(format: "%.0f", n) }
        var exponent = Int(log10(n).rounded(.down)), mantissa = n / pow(10, Double(exponent))
        if (mantissa * 100).rounded() >= 1000 { mantissa /= 10; exponent += 1 }
        let digits = String(format: "%.2f", mantissa).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
        return "\(digits)e\(exponent)"
    }
}

/// The size checks of a sampling run, for `count` samples of `valuesPerSample` float32 values.
struct OutputSizeCheck {
    /// The samples the run draws (a shard's share).
    let count: Int
    /// Values per sample (the model's dimension).
    let valuesPerSample: Int
    /// Whether the samples stream to disk (.npy, .safetensors) rather than being collected.
    let streamed: Bool

    /// Bytes of samples (count × values × 4), as a Double: it may exceed Int.
    var outputBytes: Double { Double(count) * Double(valuesPerSample) * 4 }

    /// Bytes the run holds in memory because of `count` (not the batches in flight).
    var memoryBytes: Double {
        streamed ? Double(count) * Double(RunLimits.streamedBytesPerSample)
            : Double(count) * (Double(RunLimits.collectedBytesPerSample) + Double(RunLimits.collectedCopies) * Double(valuesPerSample) * 4)
    }

    /// Refuses a run whose output exceeds `RunLimits.maxOutputBytes` or `freeBytes`, or whose
    /// count-dependent memory exceeds `memoryLimit`; `what` names the argument ("--count 5").
    func check(what: String, out: URL?, freeBytes: Int?, memoryLimit: Int) throws {
        let size = "\(RunLimits.count(Double(count))) samples × \(valuesPerSample) values × 4 bytes = \(RunLimits.bytes(outputBytes))"
        guard outputBytes <= Double(RunLimits.maxOutputBytes) else {
            throw CLIError("\(what): \(size) of samples, more than the \(RunLimits.bytes(RunLimits.maxOutputBytes)) (2⁴⁰ bytes) one run may write; "
                           + "lower --count or draw the samples in several runs (--shard K/N)")
        }
        if let out, let freeBytes, outputBytes > Double(freeBytes) {
            throw CLIError("\(what): \(size) for --out \(out.path), but its file system has only \(RunLimits.bytes(freeBytes)) free")
        }
        guard memoryBytes <= Double(memoryLimit) else {
            let fix = streamed ? "lower --count or split the run with --shard K/N"
                : "write .npy or .safetensors (streamed to disk) or lower --count"
            throw CLIError("\(what): holding \(RunLimits.count(Double(count))) samples needs about \(RunLimits.bytes(memoryBytes)) of memory, "
                           + "more than the \(RunLimits.bytes(memoryLimit)) limit (half of this machine's memory); \(fix)")
        }
    }
}

/// The work check of a run: planned denoiser evaluations against `RunLimits.maxEvaluations`.
struct WorkCheck {
    /// Planned evaluations, nil when unknown (an adaptive sampler without --nfe).
    let evaluations: Double?
    /// How they add up, for messages: "(1e12 NFE per sample × 1000 samples)".
    let breakdown: String

    /// The work of `count` samples at `nfePerSample` denoiser calls each.
    init(nfePerSample: Int?, count: Int) {
        evaluations = nfePerSample.map { Double($0) * Double(count) }
        breakdown = "(\(RunLimits.count(Double(nfePerSample ?? 0))) NFE per sample × \(RunLimits.count(Double(count))) samples)"
    }

    /// Work given as a total and how it adds up.
    init(evaluations: Double, breakdown: String) {
        (self.evaluations, self.breakdown) = (evaluations, breakdown)
    }

    /// Whether the work is large enough for progress lines in a log too.
    var isLarge: Bool { (evaluations ?? 0) >= RunLimits.largeEvaluations }

    /// Throws above the limit unless `force`; returns the warning to print when forced past it.
    /// `what` names who plans the work ("langevin:…", "compare").
    func check(_ what: String, force: Bool) throws -> String? {
        guard let evaluations, evaluations > RunLimits.maxEvaluations else { return nil }
        let planned = "\(what) plans \(RunLimits.count(evaluations)) denoiser evaluations \(breakdown)"
        let limit = RunLimits.count(RunLimits.maxEvaluations)
        guard force else {
            throw CLIError("\(planned), more than the \(limit) a run starts without --force; lower --nfe, the sampler's steps or --count, or add --force")
        }
        return "\(planned), more than the \(limit) limit; running because of --force (progress shows the ETA)"
    }
}
