#include "ScoreKitCPU.h"

// __builtin_cpu_supports reads CPUID once (and XGETBV, so AVX and AVX-512 count only when the
// operating system saves their registers). Only x86 compilers provide it.
ScoreKitCPUFeatures scorekit_cpu_features(void) {
    ScoreKitCPUFeatures f = {0};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx = __builtin_cpu_supports("avx") != 0;
    f.avx2 = __builtin_cpu_supports("avx2") != 0;
    f.fma = __builtin_cpu_supports("fma") != 0;
    f.avx512f = __builtin_cpu_supports("avx512f") != 0;
    f.avx512vl = __builtin_cpu_supports("avx512vl") != 0;
    f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
    f.avx512dq = __builtin_cpu_supports("avx512dq") != 0;
    f.avx512cd = __builtin_cpu_supports("avx512cd") != 0;
    f.avx512bf16 = __builtin_cpu_supports("avx512bf16") != 0;
    f.amd = __builtin_cpu_is("amd") != 0;
    f.known = 1;
#endif
    return f;
}
