import Foundation
import ScoreKitCore

/// The result of one (sampler, budget) cell, as stored in `cells/<stem>.json` the moment the
/// cell finishes. A rerun of the same comparison finds it by `key` and does not sample again;
/// the tables are always built from these records, so a resumed run writes the same bytes.
public struct CellRecord: Codable, Sendable, Equatable {
    /// Whether the cell produced samples.
    public enum Status: String, Codable, Sendable {
        /// Sampled and measured.
        case ok
        /// Could not run at this budget, or the run failed (see `reason`); reported as n/a.
        case unavailable
    }

    /// The record format (bumped when the meaning of a field changes).
    public var format = CellRecord.currentFormat
    /// What identifies the cell: model, resolved sampler spec, budget, count, seed.
    public var key: String
    /// The sampler's resolved spec, defaults filled in, before fitting to the budget.
    public var sampler: String
    /// The sampler's name (its row label).
    public var name: String
    /// The NFE budget.
    public var budget: Int
    /// ok or unavailable.
    public var status: Status
    /// Why the cell is unavailable.
    public var reason: String?
    /// The spec that ran: the sampler fitted to the budget.
    public var spec: String?
    /// Denoiser calls per sample.
    public var nfe: CountSummary?
    /// Noise-level classifier calls per sample.
    public var classifierCalls: CountSummary?
    /// Evaluations shared by all samples (chain burn-in), by label.
    public var sharedNFE: [String: Int]?
    /// Samples an adaptive sampler stopped short of their integration because the budget ran
    /// out (nil: none did); the tables mark such cells.
    public var stoppedEarly: EarlyStopSummary?
    /// Wall-clock seconds of the sampling, measured when the cell ran.
    public var seconds: Double?
    /// Whether the sampler drew no random numbers besides the initial noise.
    public var deterministic: Bool?
    /// Metric values by name.
    public var metrics: [String: Double] = [:]
    /// Why a metric has no value in this cell, by name.
    public var metricNotes: [String: String] = [:]
    /// The metric configuration the values were measured with; when it changes (say a
    /// reference solution becomes available), the values are measured again from the stored
    /// samples without sampling again.
    public var metricsFingerprint: String = ""

    static let currentFormat = 1

    enum CodingKeys: String, CodingKey {
        case format, key, sampler, name, budget, status, reason, spec, nfe, seconds, deterministic, metrics
        case classifierCalls = "classifier_calls", sharedNFE = "shared_nfe", stoppedEarly = "stopped_early"
        case metricNotes = "metric_notes", metricsFingerprint = "metrics_fingerprint"
    }

    /// The bytes stored on disk: sorted keys, so equal records are equal files.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// A record from its stored bytes, or nil when they do not parse.
    static func decoded(_ data: Data) -> CellRecord? { try? JSONDecoder().decode(CellRecord.self, from: data) }

    /// This record as it reads back from disk (so values in memory equal values on rerun).
    func roundTripped() throws -> CellRecord {
        guard let back = Self.decoded(try encoded()) else { preconditionFailure("CellRecord does not round-trip") }
        return back
    }
}

/// Where a cell's files live, and the key they must carry.
struct CellLocation {
    let key: String
    let stem: String
    let folder: URL

    /// The location of the cell (model, sampler spec, budget, count, seed) under `output/cells`.
    init(model: String, sampler: String, name: String, budget: Int, count: Int, seed: UInt64, output: URL) {
        key = "format=\(CellRecord.currentFormat)|model=\(model)|sampler=\(sampler)|budget=\(budget)|count=\(count)|seed=\(seed)"
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        stem = "\(safeName)-nfe\(budget)-\(StableHash.hex(key))"
        folder = output.appendingPathComponent("cells", isDirectory: true)
    }

    var record: URL { folder.appendingPathComponent(stem + ".json") }
    var samples: URL { folder.appendingPathComponent(stem + ".npy") }
    var picture: URL { folder.appendingPathComponent(stem + ".png") }
}

/// FNV-1a, 64-bit: a hash that is the same in every process (Swift's `Hasher` is seeded per
/// run), for file names derived from keys.
enum StableHash {
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The first 8 hex digits of the hash of `text`.
    static func hex(_ text: String) -> String {
        let s = String(fnv1a(text), radix: 16)
        return String((String(repeating: "0", count: 16 - s.count) + s).prefix(8))
    }
}
