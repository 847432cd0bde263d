// Element-wise kernels of ScoreKit's network layers, compiled for several instruction sets
// (baseline x86-64, AVX2, AVX-512) and dispatched at load time on x86-64 Linux; elsewhere
// compiled once for the target. No compiler flags needed: the dispatch is in the source.
#ifndef SCOREKIT_KERNELS_H
#define SCOREKIT_KERNELS_H

#include <stddef.h>
#include "ScoreKitMixture.h"

/// y[i] = x[i] * sigmoid(x[i]) (SiLU), i < n.
void scorekit_silu_forward(const float *x, float *y, size_t n);

/// GroupNorm's last steps and SiLU in one pass over `pixels` rows of `channels` centred values:
/// x = SiLU((x * inverse_std[c]) * gamma[c] + beta[c]).
void scorekit_normalise_affine_silu(float *x, const float *inverse_std, const float *gamma, const float *beta,
                                    size_t pixels, size_t channels);

/// dx[i] = dy[i] * s * (1 + x[i] * (1 - s)) with s = sigmoid(x[i]), i < n (may alias dy).
void scorekit_silu_backward(const float *x, const float *dy, float *dx, size_t n);

/// The arguments of `scorekit_gemm`: `y[i, j] = epilogue(Σ_t Σ_c A_t(i)[c] · W[j, c, t])` for
/// rows i < m and columns j < n, with K = taps × channels summed in that fixed order.
typedef struct {
    /// Output rows and columns.
    size_t m, n;
    /// Taps (1 for a dense product, 9 for a 3×3 convolution) and channels per tap.
    size_t taps, channels;
    /// Dense (height == 0): row i of A is `a + i * lda`. Convolution (height > 0): `a` is a
    /// channels-last map [images, height, width, channels]; row i is output pixel i and its taps
    /// are the 3×3 neighbours, zero outside the map (read from `zeros`, >= channels zeros).
    const float *a;
    size_t lda, height, width;
    const float *zeros;
    /// The weights from `scorekit_gemm_pack`.
    const float *packed;
    /// Added to every row ([n]), or NULL.
    const float *bias;
    /// Added to rows i (row `i / row_bias_group` of an [*, n] matrix), or NULL.
    const float *row_bias;
    size_t row_bias_group;
    /// The output: row i at `y + i * ldy`.
    float *y;
    size_t ldy;
    /// After the biases: 0 nothing, 1 SiLU, 2 ReLU.
    int activation;
    /// 1: add the result to `y`; 0: overwrite.
    int accumulate;
} scorekit_gemm_args;

/// The number of floats `scorekit_gemm_pack` writes for n outputs and k = taps × channels inputs.
size_t scorekit_gemm_packed_count(size_t n, size_t k);

/// Packs weights `w` laid out [n][channels][taps] (PyTorch's [out, in] or [out, in, 3, 3]) into
/// panels of 16 outputs, zero-padded.
void scorekit_gemm_pack(const float *w, size_t n, size_t taps, size_t channels, float *packed);

/// The product described by `args` (see `scorekit_gemm_args`). Batch-invariant: a row's result
/// depends only on that row's inputs and the weights.
void scorekit_gemm(const scorekit_gemm_args *args);

/// The instruction set and tile of the kernel `scorekit_gemm` runs on this CPU.
const char *scorekit_gemm_kernel(void);

#endif
