/// The vector instruction class a BLAS kernel is written for, or the best one a CPU supports.
///
/// OpenBLAS names its kernels after CPUs (`Prescott`, `Haswell`, `SkylakeX`, …); what matters
/// for speed is the widest vector instructions the kernel uses. A kernel of a lower class than
/// the CPU runs correctly but slowly (SSE3 kernels on an AVX-512 CPU reach about a fifth of the
/// speed), which is what happens when an OpenBLAS release does not recognise a newer CPU.
public enum BLASKernelClass: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    /// SSE up to SSE4.2 (128-bit vectors).
    case sse = 0
    /// AVX (256-bit floating point, no FMA).
    case avx = 1
    /// AVX2 with FMA.
    case avx2 = 2
    /// AVX-512 (F, VL, BW, DQ and CD, the Skylake-SP set OpenBLAS's `SkylakeX` kernels need).
    case avx512 = 3

    /// `SSE`, `AVX`, `AVX2` or `AVX-512`.
    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }

    /// Decodes the `description` spelling (`"AVX2"`).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let match = Self.allCases.first(where: { $0.description == text }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown kernel class \(text)"))
        }
        self = match
    }

    /// Encodes as the `description` spelling, so JSON reads `"AVX2"` rather than a number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Orders classes from narrow to wide vectors.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The OpenBLAS x86-64 kernel names of each class (as `openblas_get_corename` spells them,
    /// compared without regard to case).
    static let openBLASCores: [BLASKernelClass: [String]] = [
        .sse: ["Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
               "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat"],
        .avx: ["Sandybridge", "Bulldozer", "Piledriver", "Steamroller"],
        .avx2: ["Haswell", "Zen", "Excavator"],
        .avx512: ["SkylakeX", "Cooperlake", "SapphireRapids"],
    ]

    /// The class of an OpenBLAS kernel name (`Prescott` → `.sse`, `Zen` → `.avx2`), or nil for
    /// a name this table does not know (another architecture, or a newer OpenBLAS kernel).
    public init?(openBLASCore name: String) {
        let lowered = name.lowercased()
        guard let match = Self.openBLASCores.first(where: { $0.value.contains { $0.lowercased() == lowered } }) else {
            return nil
        }
        self = match.key
    }

    /// The kernel name as OpenBLAS spells it (`haswell` → `Haswell`), or nil if unknown.
    public static func canonicalOpenBLASCore(_ name: String) -> String? {
        let lowered = name.lowercased()
        return openBLASCores.values.joined().first { $0.lowercased() == lowered }
    }
}

/// The CPU features that decide which BLAS kernel class a CPU can run.
public struct CPUFeatures: Sendable, Codable, Equatable {
    /// AVX, AVX2 and FMA (FMA3).
    public var avx = false, avx2 = false, fma = false
    /// The AVX-512 subsets OpenBLAS's `SkylakeX` kernels need: foundation, vector length,
    /// byte/word, doubleword/quadword and conflict detection.
    public var avx512f = false, avx512vl = false, avx512bw = false, avx512dq = false, avx512cd = false
    /// AVX-512 BF16 (Cooper Lake and later), which OpenBLAS's `Cooperlake` kernels use.
    public var avx512bf16 = false
    /// An AMD processor (OpenBLAS's `Zen` kernels are its AVX2 kernels tuned for AMD caches).
    public var amd = false

    /// The features of the CPU this process runs on (all absent on non-x86 machines).
    public static var current: CPUFeatures { BLASRuntime.features }

    /// Features given field by field (all absent by default).
    public init(avx: Bool = false, avx2: Bool = false, fma: Bool = false, avx512f: Bool = false,
                avx512vl: Bool = false, avx512bw: Bool = false, avx512dq: Bool = false, avx512cd: Bool = false,
                avx512bf16: Bool = false, amd: Bool = false) {
        self.avx = avx; self.avx2 = avx2; self.fma = fma
        self.avx512f = avx512f; self.avx512vl = avx512vl; self.avx512bw = avx512bw
        self.avx512dq = avx512dq; self.avx512cd = avx512cd; self.avx512bf16 = avx512bf16; self.amd = amd
    }

    /// The widest kernel class these features allow.
    public var bestClass: BLASKernelClass {
        if avx512f && avx512vl && avx512bw && avx512dq && avx512cd { return .avx512 }
        if avx2 && fma { return .avx2 }
        if avx { return .avx }
        return .sse
    }

    /// The OpenBLAS kernel to ask for on this CPU: `Cooperlake` (AVX-512 with BF16) or
    /// `SkylakeX`, `Zen` (AMD) or `Haswell` for AVX2, `Sandybridge` for AVX; nil for SSE only,
    /// where OpenBLAS's own choice stands.
    public var bestOpenBLASCore: String? {
        switch bestClass {
        case .avx512: avx512bf16 ? "Cooperlake" : "SkylakeX"
        case .avx2: amd ? "Zen" : "Haswell"
        case .avx: "Sandybridge"
        case .sse: nil
        }
    }
}
