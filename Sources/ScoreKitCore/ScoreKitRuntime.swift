import CScoreKitKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The BLAS library ScoreKit's matrix products run on, its kernel and threads, and what
/// ScoreKit did about them.
///
/// Reading `current` applies ScoreKit's BLAS defaults first (once per process; see
/// `ScoreKitRuntime.configure()`).
public struct BLASInfo: Sendable, Codable, Equatable {
    /// The library: OpenBLAS's build string (`OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …`),
    /// `Accelerate`, or `CBLAS` for another implementation.
    public var library: String
    /// The OpenBLAS kernel in use (`openblas_get_corename`: `Haswell`, `Zen`, `Prescott`, …).
    public var kernel: String?
    /// The vector class of `kernel`, when ScoreKit knows the name.
    public var kernelClass: BLASKernelClass?
    /// OpenBLAS's thread count (one unless `OPENBLAS_NUM_THREADS` is set).
    public var threads: Int?
    /// The widest kernel class the CPU supports.
    public var cpuClass: BLASKernelClass
    /// The OpenBLAS kernel that best fits the CPU (nil on SSE-only CPUs and non-x86 machines).
    public var cpuBestKernel: String?
    /// Where `kernel` came from.
    public var kernelSource: BLASKernelSource
    /// The kernel OpenBLAS had picked before ScoreKit (or a request) switched it.
    public var changedFrom: String?
    /// Set when the kernel is of a lower class than the CPU's and ScoreKit could not fix it;
    /// names the fix.
    public var warning: String?

    /// The BLAS in use now, after ScoreKit's one-time configuration.
    public static var current: BLASInfo {
        BLASRuntime.ensureConfigured()
        let record = BLASRuntime.record.read()
        let kernel = BLASRuntime.symbols?.corename()
        return BLASInfo(library: BLASRuntime.libraryName, kernel: kernel,
                        kernelClass: kernel.flatMap { BLASKernelClass(openBLASCore: $0) },
                        threads: BLASRuntime.symbols?.numThreads.map { Int($0()) },
                        cpuClass: BLASRuntime.features.bestClass, cpuBestKernel: BLASRuntime.features.bestOpenBLASCore,
                        kernelSource: record.source, changedFrom: record.changedFrom, warning: record.warning)
    }
}

/// Process-wide settings ScoreKit applies for its users, the command-line tool and library
/// users alike.
public enum ScoreKitRuntime {
    /// Applies ScoreKit's BLAS defaults, once per process, and returns the BLAS in use.
    ///
    /// ScoreKit does this by itself before its first matrix product; call it earlier to see the
    /// result (or its warning) up front. The defaults:
    /// - **The kernel.** If `OPENBLAS_CORETYPE` is not set and OpenBLAS runs a kernel of a lower
    ///   vector class than the CPU supports (an OpenBLAS too old to recognise the CPU picks SSE3
    ///   `Prescott` kernels on AVX-512 machines), OpenBLAS is re-initialised with the best kernel
    ///   for the CPU; if that is impossible, `BLASInfo.warning` says how to fix it.
    /// - **One thread.** OpenBLAS runs single-threaded unless `OPENBLAS_NUM_THREADS` is set:
    ///   ScoreKit's products are small, OpenBLAS's idle workers spin, and parallel work is split
    ///   by batches of samples instead.
    @discardableResult
    public static func configure() -> BLASInfo {
        BLASRuntime.ensureConfigured()
        return BLASInfo.current
    }

    /// Switches OpenBLAS to the kernel `name` (an OpenBLAS kernel name such as `Haswell` or
    /// `Prescott`, any case) for the rest of the process, to compare kernels.
    ///
    /// Call it while no other thread runs a matrix product. Throws when the library is not a
    /// DYNAMIC_ARCH OpenBLAS, when the name is unknown, when the CPU cannot run the kernel
    /// (e.g. `SkylakeX` without AVX-512), or when OpenBLAS does not take it (then the kernel
    /// in use before the call is restored).
    @discardableResult
    public static func selectOpenBLASKernel(_ name: String) throws -> BLASInfo {
        BLASRuntime.ensureConfigured()
        guard let symbols = BLASRuntime.symbols, let quit = symbols.dynamicQuit, let initialise = symbols.dynamicInit else {
            throw BLASConfigurationError("\(BLASRuntime.libraryName) cannot switch kernels (it is not a DYNAMIC_ARCH OpenBLAS)")
        }
        let known = BLASKernelClass.allCases.flatMap { BLASKernelClass.openBLASCores[$0] ?? [] }
        guard let canonical = BLASKernelClass.canonicalOpenBLASCore(name), let wanted = BLASKernelClass(openBLASCore: canonical) else {
            throw BLASConfigurationError("unknown OpenBLAS kernel \(name); known kernels: \(known.joined(separator: ", "))")
        }
        let features = BLASRuntime.features
        guard wanted <= features.bestClass else {
            throw BLASConfigurationError("this CPU cannot run the \(canonical) kernel: it needs \(wanted), the CPU supports \(features.bestClass)")
        }
        let before = symbols.corename()
        let now = BLASRuntime.reinitialise(coreType: canonical, quit: quit, initialise: initialise, symbols: symbols)
        guard now.lowercased() == canonical.lowercased() else {
            _ = BLASRuntime.reinitialise(coreType: before, quit: quit, initialise: initialise, symbols: symbols)
            throw BLASConfigurationError("OpenBLAS did not take the \(canonical) kernel (it chose \(now)); kept \(before)")
        }
        BLASRuntime.record.write(.init(source: .request, changedFrom: before, warning: nil))
        return BLASInfo.current
    }
}

/// Why a BLAS kernel could not be selected.
public struct BLASConfigurationError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The OpenBLAS functions ScoreKit uses beyond CBLAS, looked up at run time so that another
/// CBLAS (or a build without DYNAMIC_ARCH) still works and simply reports less.
struct OpenBLASSymbols: @unchecked Sendable {
    typealias Text = @convention(c) () -> UnsafePointer<CChar>?
    typealias Count = @convention(c) () -> Int32
    typealias SetCount = @convention(c) (Int32) -> Void
    typealias Action = @convention(c) () -> Void

    let corenameFunction: Text
    let config: Text?
    let numThreads: Count?
    let setNumThreads: SetCount?
    let dynamicInit: Action?
    let dynamicQuit: Action?

    /// The running kernel's name.
    func corename() -> String { corenameFunction().map { String(cString: $0) } ?? "unknown" }

    /// The symbols of the OpenBLAS linked into the process, or nil if there is none.
    static func load() -> OpenBLASSymbols? {
        #if canImport(Accelerate)
        return nil
        #else
        func find<T>(_ name: String, as: T.Type) -> T? {
            dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let corename = find("openblas_get_corename", as: Text.self) else { return nil }
        return OpenBLASSymbols(corenameFunction: corename, config: find("openblas_get_config", as: Text.self),
                               numThreads: find("openblas_get_num_threads", as: Count.self),
                               setNumThreads: find("openblas_set_num_threads", as: SetCount.self),
                               dynamicInit: find("gotoblas_dynamic_init", as: Action.self),
                               dynamicQuit: find("gotoblas_dynamic_quit", as: Action.self))
        #endif
    }
}

/// The one-time configuration and the record of the kernel choice.
///
/// Global state (documented as the project asks): `configured` is a lazily initialised static,
/// run once and thread-safely by Swift before ScoreKit's first matrix product; `record` holds
/// where the current kernel came from, behind a lock, since `selectOpenBLASKernel` may change it.
enum BLASRuntime {
    static let symbols = OpenBLASSymbols.load()
    static let features: CPUFeatures = {
        let f = scorekit_cpu_features()
        return CPUFeatures(avx: f.avx != 0, avx2: f.avx2 != 0, fma: f.fma != 0, avx512f: f.avx512f != 0,
                           avx512vl: f.avx512vl != 0, avx512bw: f.avx512bw != 0, avx512dq: f.avx512dq != 0,
                           avx512cd: f.avx512cd != 0, avx512bf16: f.avx512bf16 != 0, amd: f.amd != 0)
    }()
    /// OpenBLAS's build string, read each time: it names the kernel running now.
    static var libraryName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let symbols else { return "CBLAS" }
        let config = symbols.config?().map { String(cString: $0) } ?? "OpenBLAS"
        return config.trimmingCharacters(in: .whitespaces)
        #endif
    }
    static let record = KernelRecord()
    private static let configured: Void = configureOnce()

    /// Runs the one-time configuration if it has not run yet (cheap afterwards).
    @inline(__always)
    static func ensureConfigured() { _ = configured }

    private static func configureOnce() {
        guard let symbols else { return }
        let environment = ProcessInfo.processInfo.environment
        let before = symbols.corename()
        let choice = BLASKernelChoice.decide(running: before, features: features, environment: environment["OPENBLAS_CORETYPE"],
                                             canSwitch: symbols.dynamicInit != nil && symbols.dynamicQuit != nil)
        switch choice {
        case .keep(let source):
            record.write(.init(source: source, changedFrom: nil, warning: nil))
        case .warn(let text):
            record.write(.init(source: .library, changedFrom: nil, warning: text))
        case .switchTo(let best):
            let quit = symbols.dynamicQuit!, initialise = symbols.dynamicInit!
            let now = reinitialise(coreType: best, quit: quit, initialise: initialise, symbols: symbols)
            if now.lowercased() == best.lowercased() {
                record.write(.init(source: .scorekit, changedFrom: before, warning: nil))
            } else {
                _ = reinitialise(coreType: nil, quit: quit, initialise: initialise, symbols: symbols)
                let runningClass = BLASKernelClass(openBLASCore: before) ?? .sse
                let text = BLASKernelChoice.mismatchWarning(
                    running: before, runningClass: runningClass, features: features, best: best,
                    reason: "asked to switch to \(best), OpenBLAS chose \(now), so ScoreKit kept \(before)")
                record.write(.init(source: .library, changedFrom: nil, warning: text))
            }
        }
        if environment["OPENBLAS_NUM_THREADS"] == nil { symbols.setNumThreads?(1) }
    }

    /// Re-initialises OpenBLAS's kernel table with `OPENBLAS_CORETYPE=coreType` (nil: OpenBLAS's
    /// own choice), then puts the variable back as it was; returns the kernel now running.
    /// OpenBLAS reads the variable only in `gotoblas_dynamic_init`, and `gotoblas_dynamic_quit`
    /// clears the table so that it runs again.
    static func reinitialise(coreType: String?, quit: OpenBLASSymbols.Action, initialise: OpenBLASSymbols.Action,
                             symbols: OpenBLASSymbols) -> String {
        let name = "OPENBLAS_CORETYPE"
        let saved = getenv(name).map { String(cString: $0) }
        if let coreType { setenv(name, coreType, 1) } else { unsetenv(name) }
        quit()
        initialise()
        if let saved { setenv(name, saved, 1) } else { unsetenv(name) }
        return symbols.corename()
    }
}

/// Where the current kernel came from, behind a lock.
final class KernelRecord: @unchecked Sendable {
    struct Entry: Sendable {
        var source: BLASKernelSource
        var changedFrom: String?
        var warning: String?
    }

    private let lock = NSLock()
    private var entry = Entry(source: .library)

    func read() -> Entry { lock.withLock { entry } }
    func write(_ new: Entry) { lock.withLock { entry = new } }
}
