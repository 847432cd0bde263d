import Foundation
import ScoreKitCore
import Testing

/// The mapping from OpenBLAS kernel names and CPU features to vector classes, and the
/// once-per-process decision, as pure functions; plus what this machine reports.
@Suite("BLAS kernel choice")
struct BLASKernelTests {
    static let avx512 = CPUFeatures(avx: true, avx2: true, fma: true, avx512f: true, avx512vl: true,
                                    avx512bw: true, avx512dq: true, avx512cd: true)
    static let avx2Intel = CPUFeatures(avx: true, avx2: true, fma: true)
    static let avx2AMD = CPUFeatures(avx: true, avx2: true, fma: true, amd: true)

    @Test func kernelNamesMapToTheirClass() {
        for name in ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Nano", "Opteron",
                     "Opteron_SSE3", "Barcelona", "Bobcat", "Katmai", "Coppermine", "Northwood", "Banias", "Athlon"] {
            #expect(BLASKernelClass(openBLASCore: name) == .sse, "\(name)")
        }
        for name in ["Sandybridge", "Bulldozer", "Piledriver", "Steamroller"] { #expect(BLASKernelClass(openBLASCore: name) == .avx) }
        for name in ["Haswell", "Zen", "Excavator"] { #expect(BLASKernelClass(openBLASCore: name) == .avx2) }
        for name in ["SkylakeX", "Cooperlake"] { #expect(BLASKernelClass(openBLASCore: name) == .avx512) }
        #expect(BLASKernelClass(openBLASCore: "HASWELL") == .avx2 && BLASKernelClass(openBLASCore: "prescott") == .sse)
        #expect(BLASKernelClass(openBLASCore: "NeoverseN1") == nil && BLASKernelClass(openBLASCore: "") == nil)
        #expect(BLASKernelClass.canonicalOpenBLASCore("skylakex") == "SkylakeX")
        #expect(BLASKernelClass.sse < .avx && .avx < .avx2 && .avx2 < .avx512)
    }

    @Test func featuresGiveTheBestKernel() {
        #expect(Self.avx512.bestClass == .avx512 && Self.avx512.bestOpenBLASCore == "SkylakeX")
        var bf16 = Self.avx512
        bf16.avx512bf16 = true
        #expect(bf16.bestOpenBLASCore == "Cooperlake")
        var partial = Self.avx512
        partial.avx512bw = false                 // Knights Landing style AVX-512: not SkylakeX's set
        #expect(partial.bestClass == .avx2 && partial.bestOpenBLASCore == "Haswell")
        #expect(Self.avx2Intel.bestOpenBLASCore == "Haswell" && Self.avx2AMD.bestOpenBLASCore == "Zen")
        #expect(CPUFeatures(avx: true, avx2: true).bestClass == .avx)      // AVX2 without FMA
        #expect(CPUFeatures(avx: true).bestOpenBLASCore == "Sandybridge")
        #expect(CPUFeatures().bestClass == .sse && CPUFeatures().bestOpenBLASCore == nil)
    }

    @Test func decisionSwitchesOnlyLowerClassKernels() {
        // The issue's machine: an AVX-512 Intel CPU on which OpenBLAS 0.3.21 runs Prescott.
        #expect(BLASKernelChoice.decide(running: "Prescott", features: Self.avx512, environment: nil, canSwitch: true) == .switchTo("SkylakeX"))
        #expect(BLASKernelChoice.decide(running: "Sandybridge", features: Self.avx2Intel, environment: nil, canSwitch: true) == .switchTo("Haswell"))
        #expect(BLASKernelChoice.decide(running: "Nehalem", features: Self.avx2AMD, environment: nil, canSwitch: true) == .switchTo("Zen"))
        // Same or higher class: kept (Zen on an AMD AVX2 CPU, Haswell on AVX-512 would switch).
        #expect(BLASKernelChoice.decide(running: "Zen", features: Self.avx2AMD, environment: nil, canSwitch: true) == .keep(.library))
        #expect(BLASKernelChoice.decide(running: "Haswell", features: Self.avx2AMD, environment: nil, canSwitch: true) == .keep(.library))
        #expect(BLASKernelChoice.decide(running: "Haswell", features: Self.avx512, environment: nil, canSwitch: true) == .switchTo("SkylakeX"))
        // The user's OPENBLAS_CORETYPE is left alone; unknown kernels and non-OpenBLAS too.
        #expect(BLASKernelChoice.decide(running: "Prescott", features: Self.avx512, environment: "Prescott", canSwitch: true) == .keep(.environment))
        #expect(BLASKernelChoice.decide(running: "NeoverseN1", features: Self.avx512, environment: nil, canSwitch: true) == .keep(.library))
        #expect(BLASKernelChoice.decide(running: nil, features: Self.avx512, environment: nil, canSwitch: true) == .keep(.library))
        // No DYNAMIC_ARCH: a warning that names the fix.
        guard case .warn(let text) = BLASKernelChoice.decide(running: "Prescott", features: Self.avx512, environment: nil, canSwitch: false) else {
            Issue.record("expected a warning"); return
        }
        #expect(text.contains("OPENBLAS_CORETYPE=SkylakeX") && text.contains("newer libopenblas") && text.contains("Prescott"))
    }

    @Test func infoEncodesClassesByName() throws {
        let info = BLASInfo.current
        let data = try JSONEncoder().encode(info)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["cpuClass"] as? String == info.cpuClass.description)
        #expect(try JSONDecoder().decode(BLASInfo.self, from: data) == info)
    }

    @Test func thisMachineRunsAKernelOfItsClass() {
        let info = ScoreKitRuntime.configure()
        #expect(!info.library.isEmpty)
        guard let kernel = info.kernel, let kernelClass = info.kernelClass else { return }   // not OpenBLAS
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, info.warning == nil {
            #expect(kernelClass >= min(info.cpuClass, .avx512), "kernel \(kernel) below the CPU's \(info.cpuClass)")
        }
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil { #expect(info.threads == 1) }
    }
}
