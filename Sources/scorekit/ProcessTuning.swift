import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Settings of the tool's own process (never of the library).
enum ProcessTuning {
    /// Keeps freed memory in glibc's heap instead of returning it to the system at once.
    ///
    /// Network passes allocate and free arrays of a few megabytes many times a second; with
    /// glibc's defaults each large array is a fresh `mmap` (or the heap is trimmed after it is
    /// freed), so every pass pays page faults on memory it just released — about a third of the
    /// time of sampling a 2-D model. Raising the mmap and trim thresholds (glibc's `mallopt`,
    /// looked up at run time since Swift's Glibc module does not export it) removes them.
    static func apply() {
        singleThreadedBLAS()
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 64 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }

    /// One OpenBLAS thread unless `OPENBLAS_NUM_THREADS` says otherwise. ScoreKit's matrix
    /// products are small (a few hundred rows by 32–128 columns); OpenBLAS's worker threads
    /// spin while they wait, and on a busy machine that made a U-Net training step seven times
    /// slower than one thread.
    static func singleThreadedBLAS() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil,
              let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_set_num_threads") else { return }
        typealias SetThreads = @convention(c) (Int32) -> Void
        unsafeBitCast(symbol, to: SetThreads.self)(1)
        #endif
    }
}
