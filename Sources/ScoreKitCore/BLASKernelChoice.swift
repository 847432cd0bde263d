/// Where the BLAS kernel in use came from.
public enum BLASKernelSource: String, Sendable, Codable {
    /// The BLAS library's own choice (or a library without choices, such as Accelerate).
    case library
    /// ScoreKit switched OpenBLAS to a kernel of the CPU's class at the first BLAS call.
    case scorekit
    /// The user's `OPENBLAS_CORETYPE`, which ScoreKit leaves alone.
    case environment
    /// A call of `ScoreKitRuntime.selectOpenBLASKernel` (`scorekit bench --blas-core`).
    case request
}

/// The decision ScoreKit takes about the OpenBLAS kernel once per process: a pure function of
/// what OpenBLAS runs, what the CPU supports and what the user asked for, so it can be tested
/// on any machine.
public enum BLASKernelChoice: Equatable, Sendable {
    /// Leave the kernel as it is, and why.
    case keep(BLASKernelSource)
    /// Switch OpenBLAS to this kernel (OpenBLAS picked one of a lower class than the CPU's).
    case switchTo(String)
    /// The kernel is of a lower class than the CPU's but cannot be switched: warn with this text.
    case warn(String)

    /// The choice for a process.
    ///
    /// - Parameters:
    ///   - running: the kernel OpenBLAS runs (`openblas_get_corename`), nil if not OpenBLAS.
    ///   - features: what the CPU supports.
    ///   - environment: the user's `OPENBLAS_CORETYPE`, if set (then nothing changes).
    ///   - canSwitch: whether the library exports `gotoblas_dynamic_quit` and `…_init`
    ///     (a DYNAMIC_ARCH build).
    public static func decide(running: String?, features: CPUFeatures, environment: String?,
                              canSwitch: Bool) -> BLASKernelChoice {
        guard let running else { return .keep(.library) }
        if environment != nil { return .keep(.environment) }
        guard let best = features.bestOpenBLASCore,
              let runningClass = BLASKernelClass(openBLASCore: running),
              runningClass < features.bestClass else { return .keep(.library) }
        guard canSwitch else {
            return .warn(mismatchWarning(running: running, runningClass: runningClass, features: features, best: best,
                                         reason: "this OpenBLAS cannot switch kernels (not a DYNAMIC_ARCH build)"))
        }
        return .switchTo(best)
    }

    /// The warning for a kernel of a lower class than the CPU's, naming the fixes.
    static func mismatchWarning(running: String, runningClass: BLASKernelClass, features: CPUFeatures,
                                best: String, reason: String) -> String {
        "OpenBLAS runs its \(running) kernel (\(runningClass)) on a CPU with \(features.bestClass), so matrix "
            + "products run several times slower than they could; \(reason). Fix: set OPENBLAS_CORETYPE=\(best), "
            + "or install a newer libopenblas."
    }
}
