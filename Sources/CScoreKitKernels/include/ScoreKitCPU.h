// What the running CPU (and the operating system) supports, for choosing a BLAS kernel.
#ifndef SCOREKIT_CPU_H
#define SCOREKIT_CPU_H

/// The instruction-set extensions that decide which OpenBLAS kernel family a CPU can run.
/// Each field is 1 when the CPU and the operating system support the extension, else 0.
typedef struct ScoreKitCPUFeatures {
    int avx;
    int avx2;
    int fma;
    int avx512f;
    int avx512vl;
    int avx512bw;
    int avx512dq;
    int avx512cd;
    int avx512bf16;
    /// 1 on an AMD processor.
    int amd;
    /// 1 when the fields were read from the CPU (x86-64); 0 elsewhere (all fields 0).
    int known;
} ScoreKitCPUFeatures;

/// The features of the CPU this runs on (CPUID through the compiler's __builtin_cpu_supports).
ScoreKitCPUFeatures scorekit_cpu_features(void);

#endif
