import ScoreKit

/// The kernels this process computes with, recorded in sample files so `scorekit merge` can
/// warn when shards came from different ones (they round differently): the OpenBLAS kernel
/// (exact models) and the network kernel's instruction-set variant (trained models).
enum BLASKernel {
    static var name: String { "\(BLASInfo.current.kernel ?? "unknown"); networks \(NetworkGEMM.kernelName)" }
}
