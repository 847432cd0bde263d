import Foundation

/// One of N shards of a run, for splitting work across machines: `scorekit sample --shard K/N`
/// draws shard K's samples, `scorekit compare --shard K/N` runs shard K's cells.
///
/// Samples split into contiguous index ranges, the first `count mod N` shards one sample
/// longer; cells go round-robin (cell j to shard `j mod N + 1`), so every shard gets a mix of
/// cheap and expensive budgets.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// The shard's number, 1…`count`.
    public let index: Int
    /// The number of shards.
    public let count: Int

    /// Shard `index` of `count`; throws unless 1 ≤ index ≤ count.
    public init(_ index: Int, of count: Int) throws {
        guard count >= 1 else { throw ShardError.bad("\(index)/\(count)", reason: "the shard count must be at least 1") }
        guard (1...count).contains(index) else {
            throw ShardError.bad("\(index)/\(count)", reason: "the shard number must be between 1 and \(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N` (for example `2/8`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ShardError.bad(text, reason: "expected K/N with whole numbers, 1 ≤ K ≤ N (for example 2/8)")
        }
        try self.init(k, of: n)
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// The sample indices of this shard of a run of `total` samples.
    public func range(of total: Int) -> Range<Int> {
        let base = total / count, extra = total % count, k = index - 1
        let start = k * base + min(k, extra)
        return start..<(start + base + (k < extra ? 1 : 0))
    }

    /// Whether cell `cell` (0-based, in report order) belongs to this shard.
    public func owns(cell: Int) -> Bool { cell % count == index - 1 }
}

/// A bad `--shard` value.
public enum ShardError: Error, Equatable, CustomStringConvertible {
    /// The text, and what is wrong with it.
    case bad(String, reason: String)

    /// The one-line message: the value and what is expected.
    public var description: String {
        switch self {
        case let .bad(text, reason): "--shard \(text): \(reason)"
        }
    }
}
