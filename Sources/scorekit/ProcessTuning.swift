import Foundation
import ScoreKit
#if canImport(Glibc)
import Glibc
#endif

/// Settings of the tool's own process. (ScoreKit's BLAS defaults — kernel and one thread —
/// belong to the library: `ScoreKitRuntime.configure()`; the tool only reports them.)
enum ProcessTuning {
    /// Keeps freed memory in glibc's heap instead of returning it to the system at once.
    ///
    /// Network passes take their buffers from reused workspaces, but sampler steps and training
    /// still allocate batch-sized arrays; with glibc's defaults each large array is a fresh
    /// `mmap` (or the heap is trimmed after it is freed), so a step would pay page faults on
    /// memory it just released. Raising the mmap and trim thresholds (glibc's `mallopt`, looked
    /// up at run time since Swift's Glibc module does not export it) keeps it in the heap.
    static func apply() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 64 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }

    /// Applies ScoreKit's BLAS defaults up front and prints one line on stderr when OpenBLAS
    /// runs a kernel below the CPU's class that ScoreKit could not switch.
    static func configureBLAS() {
        let info = ScoreKitRuntime.configure()
        if let warning = info.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
    }
}

/// A command that runs matrix products: the tool configures BLAS (and warns) before it runs.
protocol BLASCommand {}

extension SampleCommand: BLASCommand {}
extension CompareCommand: BLASCommand {}
extension TrainCommand: BLASCommand {}
extension BenchCommand: BLASCommand {}

extension BLASInfo {
    /// The info as a JSON object for the tool's `--json` summaries (key `"blas"`).
    var jsonObject: Any {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self), let object = try? JSONSerialization.jsonObject(with: data) else {
            return ["library": library]
        }
        return object
    }
}
