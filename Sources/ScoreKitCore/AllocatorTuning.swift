import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ScoreKitRuntime {
    /// Keeps freed memory in glibc's heap instead of returning it to the system at once; the
    /// `scorekit` tool calls it at start. Opt-in for library users, since it changes the
    /// allocator of the whole process. Returns whether it applied (glibc only; elsewhere, and
    /// on other C libraries, it does nothing).
    ///
    /// Network passes take their buffers from reused workspaces, but sampler steps and training
    /// still allocate batch-sized arrays; with glibc's defaults each large array is a fresh
    /// `mmap` (or the heap is trimmed after it is freed), so a step pays page faults on memory
    /// it just released. Raising the mmap threshold to 64 MB and the trim threshold to 256 MB
    /// (glibc's `mallopt`, looked up at run time since Swift's Glibc module does not export it)
    /// keeps that memory in the heap. Call it before the first large allocation.
    @discardableResult
    public static func tuneAllocator() -> Bool {
        #if os(Linux) && canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        let mmap = mallopt(mmapThreshold, 64 << 20)
        let trim = mallopt(trimThreshold, 256 << 20)
        return mmap == 1 && trim == 1
        #else
        return false
        #endif
    }
}
