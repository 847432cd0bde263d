// A batch-invariant matrix product for network layers: dense rows (linear layers) and 3×3
// "same" convolutions over channels-last maps without an im2col buffer (implicit GEMM).
//
// Every output element is one chain of fused multiply-adds over k = (tap, channel) in a fixed
// order, whatever the number of rows, the tile a row falls in, or the thread that runs it, so
// a sample's bits never depend on its batch. Rows are tiled MR at a time (MR depends on the
// instruction set: 6 for AVX2, 12 for AVX-512, 3 for the SSE2 baseline); columns come in
// panels of 16 from weights packed once (`scorekit_gemm_pack`).
#include "ScoreKitKernels.h"
#include <stdint.h>
#include <string.h>

#define NR 16
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64), aligned(4)));


size_t scorekit_gemm_packed_count(size_t n, size_t k) { return ((n + NR - 1) / NR) * NR * k; }

void scorekit_gemm_pack(const float *w, size_t n, size_t taps, size_t channels, float *packed) {
    // w is [n][channels][taps] (PyTorch's [out, in, kh, kw]); packed is [panel][tap][channel][16].
    size_t panels = (n + NR - 1) / NR, k = taps * channels;
    for (size_t p = 0; p < panels; p++) {
        float *dst = packed + p * k * NR;
        for (size_t t = 0; t < taps; t++)
            for (size_t c = 0; c < channels; c++, dst += NR)
                for (size_t j = 0; j < NR; j++) {
                    size_t o = p * NR + j;
                    dst[j] = o < n ? w[(o * channels + c) * taps + t] : 0.0f;
                }
    }
}

// The row pointers of one tile: MR rows × taps, each pointing at `channels` values.
static inline void tile_pointers(const scorekit_gemm_args *a, size_t first, size_t rows, size_t mr,
                                 const float **ptr) {
    size_t taps = a->taps;
    for (size_t r = 0; r < mr; r++) {
        size_t i = first + r;
        if (r >= rows) {   // a padding row: any valid values, never stored
            for (size_t t = 0; t < taps; t++) ptr[r * taps + t] = ptr[t];
        } else if (a->height == 0) {
            ptr[r * taps] = a->a + i * a->lda;
        } else {
            size_t h = a->height, w = a->width, c = a->channels;
            size_t s = i / (h * w), y = (i / w) % h, x = i % w;
            for (size_t t = 0; t < 9; t++) {
                long sy = (long)y + (long)(t / 3) - 1, sx = (long)x + (long)(t % 3) - 1;
                ptr[r * taps + t] = (sy < 0 || sy >= (long)h || sx < 0 || sx >= (long)w)
                    ? a->zeros : a->a + ((s * h + (size_t)sy) * w + (size_t)sx) * c;
            }
        }
    }
}

// e^x on 16 lanes, as in kernels.c: 2^k · e^g with a degree-7 polynomial for e^g, 2^k built
// in the exponent bits.
#define DEFINE_EXP16(NAME, TARGET)                                                                \
    TARGET static inline void NAME(v16 *x) {                                                      \
        v16 c = __builtin_elementwise_min(__builtin_elementwise_max(*x, (v16){0} - 87.0f),        \
                                          (v16){0} + 87.0f);                                      \
        v16 shifted = c * 1.44269504f + 12582912.0f;                                              \
        v16 k = shifted - 12582912.0f;                                                            \
        v16 g = (c - k * 0.69314575f) - k * 1.4286068e-6f;                                        \
        v16 p = (v16){0} + 1.0f / 5040;                                                           \
        p = p * g + 1.0f / 720;                                                                   \
        p = p * g + 1.0f / 120;                                                                   \
        p = p * g + 1.0f / 24;                                                                    \
        p = p * g + 1.0f / 6;                                                                     \
        p = p * g + 0.5f;                                                                         \
        p = p * g + 1.0f;                                                                         \
        p = p * g + 1.0f;                                                                         \
        v16i e = ((v16i)shifted - 0x4B400000 + 127) << 23;                                        \
        *x = p * (v16)e;                                                                          \
    }

// The epilogue of one tile, in this order: bias, per-group bias, SiLU or ReLU, accumulate. Full tiles
// store straight from registers; the last panel's partial columns go through `edge`.
#define DEFINE_STORE(NAME, TARGET, EXP, MR)                                                       \
    TARGET static void NAME(const scorekit_gemm_args *a, size_t first, size_t rows, size_t col,   \
                            size_t cols, v16 *acc) {                                              \
        v16 bias = (v16){0}, edge;                                                                \
        if (a->bias) {                                                                            \
            memcpy(&edge, a->bias + col, cols * sizeof(float));                                   \
            bias = edge;                                                                          \
        }                                                                                         \
        for (size_t r = 0; r < rows; r++) {                                                       \
            size_t i = first + r;                                                                 \
            v16 v = acc[r];                                                                       \
            if (a->bias) v += bias;                                                               \
            if (a->row_bias) {                                                                    \
                memcpy(&edge, a->row_bias + (i / a->row_bias_group) * a->n + col, cols * sizeof(float)); \
                v += edge;                                                                        \
            }                                                                                     \
            if (a->activation == 1) {                                                             \
                v16 e = (v16){0} - v;                                                             \
                EXP(&e);                                                                          \
                v = v / (1.0f + e);                                                               \
            } else if (a->activation == 2) {                                                      \
                v = __builtin_elementwise_max(v, (v16){0});                                       \
            }                                                                                     \
            float *dst = a->y + i * a->ldy + col;                                                 \
            if (a->accumulate) {                                                                  \
                memcpy(&edge, dst, cols * sizeof(float));                                         \
                v = edge + v;                                                                     \
            }                                                                                     \
            memcpy(dst, &v, cols * sizeof(float));                                                \
        }                                                                                         \
    }

#define MAX_TAPS 9
#define DEFINE_GEMM(NAME, TARGET, MR)                                                             \
    DEFINE_EXP16(NAME##_exp, TARGET)                                                              \
    DEFINE_STORE(NAME##_store, TARGET, NAME##_exp, MR)                                            \
    TARGET static void NAME##_tile(const float **ptr, size_t taps, size_t channels,              \
                                   const float *b, v16 *out) {                                    \
        v16 acc[MR];                                                                              \
        for (int r = 0; r < MR; r++) acc[r] = (v16){0};                                           \
        for (size_t t = 0; t < taps; t++) {                                                       \
            const float *p[MR];                                                                   \
            for (int r = 0; r < MR; r++) p[r] = ptr[r * taps + t];                                \
            for (size_t c = 0; c < channels; c++, b += NR) {                                      \
                v16 bv;                                                                           \
                memcpy(&bv, b, sizeof bv);                                                        \
                for (int r = 0; r < MR; r++) acc[r] += p[r][c] * bv;                              \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < MR; r++) out[r] = acc[r];                                             \
    }                                                                                             \
    TARGET static void NAME(const scorekit_gemm_args *a) {                                        \
        const float *ptr[MR * MAX_TAPS];                                                          \
        v16 acc[MR];                                                                              \
        size_t k = a->taps * a->channels;                                                         \
        for (size_t first = 0; first < a->m; first += MR) {                                       \
            size_t rows = a->m - first < MR ? a->m - first : MR;                                  \
            tile_pointers(a, first, rows, MR, ptr);                                               \
            for (size_t col = 0; col < a->n; col += NR) {                                         \
                NAME##_tile(ptr, a->taps, a->channels, a->packed + (col / NR) * k * NR, acc);     \
                NAME##_store(a, first, rows, col, a->n - col < NR ? a->n - col : NR, acc);        \
            }                                                                                     \
        }                                                                                         \
    }

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
DEFINE_GEMM(gemm_avx512, __attribute__((target("avx512f,fma"))), 12)
DEFINE_GEMM(gemm_avx2, __attribute__((target("avx2,fma"))), 6)
DEFINE_GEMM(gemm_sse2, , 3)

static int gemm_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

const char *scorekit_gemm_kernel(void) {
    static const char *names[] = {"sse2 3x16", "avx2+fma 6x16", "avx512f 12x16"};
    return names[gemm_level()];
}

void scorekit_gemm(const scorekit_gemm_args *a) {
    if (a->m == 0 || a->n == 0) return;
    switch (gemm_level()) {
    case 2: gemm_avx512(a); break;
    case 1: gemm_avx2(a); break;
    default: gemm_sse2(a); break;
    }
}
#else
DEFINE_GEMM(gemm_generic, , 4)
const char *scorekit_gemm_kernel(void) { return "generic 4x16"; }
void scorekit_gemm(const scorekit_gemm_args *a) {
    if (a->m == 0 || a->n == 0) return;
    gemm_generic(a);
}
#endif
