import Foundation
import ScoreKit

/// Settings of the tool's own process. (ScoreKit's BLAS defaults — kernel and one thread —
/// belong to the library: `ScoreKitRuntime.configure()`; the tool only reports them. The
/// allocator tuning is the library's opt-in `ScoreKitRuntime.tuneAllocator()`.)
enum ProcessTuning {
    /// Keeps freed memory in glibc's heap (`ScoreKitRuntime.tuneAllocator()`).
    static func apply() {
        ScoreKitRuntime.tuneAllocator()
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
