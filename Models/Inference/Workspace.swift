import Foundation
import ScoreKitCore

/// Scratch memory for one network pass at a time, kept from call to call.
///
/// A pass takes its buffers in order with `floats(_:)` (a bump allocator) and gives them all
/// back with `reset()`. The first passes grow it; once it has held the largest pass it never
/// allocates again, so steady-state sampling touches no fresh pages. Not thread-safe: one pass
/// owns it at a time (`WorkspacePool` hands them out).
public final class Workspace {
    private var blocks: [UnsafeMutableBufferPointer<Float>] = []
    private var block = 0, used = 0, peak = 0, total = 0

    /// An empty workspace.
    public init() {}

    deinit { for b in blocks { b.deallocate() } }

    /// `count` uninitialised floats, valid until the next `reset()`.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let count = (count + 15) & ~15                      // 64-byte steps keep rows aligned
        while block < blocks.count && blocks[block].count - used < count {
            block += 1
            used = 0
        }
        if block == blocks.count {
            blocks.append(.allocate(capacity: max(count, 1 << 16)))
            used = 0
        }
        let p = blocks[block].baseAddress! + used
        used += count
        total += count
        return p
    }

    /// Gives every buffer back. After a pass that needed more than one block, the blocks are
    /// replaced by one block as large as that pass, so the next pass allocates nothing.
    public func reset() {
        peak = max(peak, total)
        if blocks.count > 1 {
            for b in blocks { b.deallocate() }
            blocks = [.allocate(capacity: peak)]
        }
        block = 0
        used = 0
        total = 0
    }

    /// The floats this workspace holds.
    public var capacity: Int { blocks.reduce(0) { $0 + $1.count } }
}

/// Workspaces for concurrent callers: each call borrows one (making it on first need) and
/// returns it, so a model shared by several worker threads keeps one workspace per thread.
public final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Workspace] = []

    /// An empty pool.
    public init() {}

    /// Runs `body` with a workspace of its own, reset before and after.
    public func withWorkspace<T>(_ body: (Workspace) throws -> T) rethrows -> T {
        lock.lock()
        let workspace = idle.popLast() ?? Workspace()
        lock.unlock()
        defer {
            workspace.reset()
            lock.lock()
            idle.append(workspace)
            lock.unlock()
        }
        workspace.reset()
        return try body(workspace)
    }
}

/// A network's weights for inference: the flat vector (biases, normalisation scales) and every
/// linear and convolution weight packed once for the kernel.
public struct PackedParameters: Sendable {
    /// The flat parameter vector.
    public let weights: [Float]
    private let packed: [Int: PackedWeights]

    /// Packs every 2-D (linear) and 4-D (convolution) `.weight` tensor of `layout`.
    public init(layout: ParameterLayout, weights: [Float]) {
        precondition(weights.count == layout.count, "PackedParameters: \(weights.count) values for \(layout.count) parameters")
        self.weights = weights
        var packed: [Int: PackedWeights] = [:]
        weights.withUnsafeBufferPointer { w in
            for slot in layout.slots where slot.name.hasSuffix(".weight") && (slot.shape.count == 2 || slot.shape.count == 4) {
                packed[slot.offset] = PackedWeights(w, slot: slot)
            }
        }
        self.packed = packed
    }

    /// The packed form of a weight tensor.
    subscript(slot: ParameterSlot) -> PackedWeights {
        guard let p = packed[slot.offset] else { preconditionFailure("PackedParameters: \(slot.name) is not packed") }
        return p
    }
}
