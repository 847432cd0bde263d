// Element-wise kernels of ScoreKit's network layers, compiled for several instruction sets
// (baseline x86-64, AVX2, AVX-512) and dispatched at load time on x86-64 Linux; elsewhere
// compiled once for the target. No compiler flags needed: the dispatch is in the source.
#ifndef SCOREKIT_KERNELS_H
#define SCOREKIT_KERNELS_H

#include <stddef.h>

/// y[i] = x[i] * sigmoid(x[i]) (SiLU), i < n.
void scorekit_silu_forward(const float *x, float *y, size_t n);

/// dx[i] = dy[i] * s * (1 + x[i] * (1 - s)) with s = sigmoid(x[i]), i < n (may alias dy).
void scorekit_silu_backward(const float *x, const float *dy, float *dx, size_t n);

#endif
