/// The name of the BLAS kernel this process computes with, recorded in sample files so
/// `scorekit merge` can warn when shards came from different kernels.
///
/// The one place that asks: until the library reports it (`BLASInfo.current.kernel`), the
/// kernel is "unknown".
enum BLASKernel {
    static var name: String { "unknown" }
}
