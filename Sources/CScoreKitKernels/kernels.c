#include "ScoreKitKernels.h"
#include <stdint.h>
#include <string.h>

// Function multi-versioning: the loader picks the best clone for the CPU (ifunc, ELF only).
#if defined(__x86_64__) && defined(__ELF__) && !defined(__APPLE__)
#define SCOREKIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCOREKIT_CLONES
#endif

// e^x to about 1e-7 relative error for |x| <= 87 (the same polynomial as the Swift fallback):
// e^x = 2^k e^g, k = round(x / ln 2), g = x - k ln 2, e^g by a degree-7 Taylor polynomial.
static inline float vector_exp(float x) {
    float clamped = x < -87.0f ? -87.0f : (x > 87.0f ? 87.0f : x);
    const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    float shifted = clamped * 1.44269504f + magic;
    float k = shifted - magic;
    float g = (clamped - k * 0.69314575f) - k * 1.4286068e-6f;
    float p = 1.0f / 5040;
    p = p * g + 1.0f / 720;
    p = p * g + 1.0f / 120;
    p = p * g + 1.0f / 24;
    p = p * g + 1.0f / 6;
    p = p * g + 0.5f;
    p = p * g + 1.0f;
    p = p * g + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t exponent = (int32_t)((uint32_t)(bits - 0x4B400000 + 127) << 23);
    float scale;
    memcpy(&scale, &exponent, sizeof scale);
    return p * scale;
}

SCOREKIT_CLONES
void scorekit_silu_forward(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v / (1.0f + vector_exp(-v));
    }
}

SCOREKIT_CLONES
void scorekit_silu_backward(const float *x, const float *dy, float *dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float s = 1.0f / (1.0f + vector_exp(-v));
        dx[i] = dy[i] * s * (1.0f + v * (1.0f - s));
    }
}


SCOREKIT_CLONES
void scorekit_normalise_affine_silu(float *x, const float *inverse_std, const float *gamma, const float *beta,
                                    size_t pixels, size_t channels) {
    for (size_t p = 0; p < pixels; p++) {
        float *row = x + p * channels;
        for (size_t j = 0; j < channels; j++) {
            float v = (row[j] * inverse_std[j]) * gamma[j] + beta[j];
            row[j] = v / (1.0f + vector_exp(-v));
        }
    }
}
