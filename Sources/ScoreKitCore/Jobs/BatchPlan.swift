/// Ways to split a job's sample indices into batches (see `Sampler.batches(of:batchSize:workers:)`).
public enum BatchPlan {
    /// The number of batches for `n` samples: enough that none exceeds `batchSize`, rounded up
    /// to a multiple of `workers` so every worker has an equal share, and never more than `n`.
    public static func batchCount(_ n: Int, batchSize: Int, workers: Int) -> Int {
        guard n > 0 else { return 0 }
        let needed = (n + batchSize - 1) / batchSize
        let balanced = (needed + workers - 1) / workers * workers
        return min(balanced, n)
    }

    /// Contiguous ranges of near-equal size (at most `batchSize` rows), at least one per worker
    /// when there are enough samples.
    public static func contiguous(_ indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]] {
        let n = indices.count, k = batchCount(n, batchSize: batchSize, workers: max(workers, 1))
        return (0..<k).map { b in
            Array((indices.lowerBound + b * n / k)..<(indices.lowerBound + (b + 1) * n / k))
        }
    }

    /// Groups of indices kept whole where they fit: consecutive groups are packed into batches
    /// of at most `rows` indices (`rows` from `batchCount`, so every worker gets work); a group
    /// larger than that is cut into consecutive pieces. Each batch's indices come out ascending.
    public static func packing(_ groups: [[Int]], batchSize: Int, workers: Int) -> [[Int]] {
        let n = groups.reduce(0) { $0 + $1.count }
        let k = batchCount(n, batchSize: batchSize, workers: max(workers, 1))
        guard k > 0 else { return [] }
        let rows = (n + k - 1) / k
        var batches: [[Int]] = [], current: [Int] = []
        for group in groups {
            if current.count + group.count > rows, !current.isEmpty {
                batches.append(current.sorted())
                current = []
            }
            var rest = group[...]
            while rest.count > rows {
                batches.append(Array(rest.prefix(rows)).sorted())
                rest = rest.dropFirst(rows)
            }
            current += rest
        }
        if !current.isEmpty { batches.append(current.sorted()) }
        return batches
    }
}
