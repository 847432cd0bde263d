#include "ScoreKitMixture.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__ELF__) && !defined(__APPLE__)
#define SCOREKIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCOREKIT_CLONES
#endif

// e^x for -708 <= x <= 0: e^x = 2^k e^g with k = round(x / ln 2) (by the 1.5·2^52 shifter),
// g = x - k ln 2 in two parts (|g| <= ln 2 / 2), e^g by its degree-13 Taylor polynomial
// (truncation below 1e-17), 2^k built in the exponent bits. Branch-free, so loops vectorise.
static inline double exp_nonpositive(double x) {
    const double shifter = 6755399441055744.0;
    double kd = x * 1.4426950408889634 + shifter;
    double k = kd - shifter;
    double g = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
    double p = 1.0 / 6227020800.0;
    p = p * g + 1.0 / 479001600.0;
    p = p * g + 1.0 / 39916800.0;
    p = p * g + 1.0 / 3628800.0;
    p = p * g + 1.0 / 362880.0;
    p = p * g + 1.0 / 40320.0;
    p = p * g + 1.0 / 5040.0;
    p = p * g + 1.0 / 720.0;
    p = p * g + 1.0 / 120.0;
    p = p * g + 1.0 / 24.0;
    p = p * g + 1.0 / 6.0;
    p = p * g + 0.5;
    p = p * g + 1.0;
    p = p * g + 1.0;
    int64_t bits;
    memcpy(&bits, &kd, sizeof bits);
    int64_t exponent = (int64_t)((uint64_t)(bits - 0x4338000000000000LL + 1023) << 52);
    double scale;
    memcpy(&scale, &exponent, sizeof scale);
    return p * scale;
}

SCOREKIT_CLONES
void scorekit_shifted_exp(const double *restrict t, double top, double floor, double *restrict p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double v = t[i];
        double x = v >= floor ? v - top : 0.0;
        double e = exp_nonpositive(x);
        p[i] = v >= floor ? e : 0.0;
    }
}
