// Kernels of the exact Gaussian-mixture models (ScoreKitModels' MixtureTables), compiled for
// several instruction sets and dispatched at load time like ScoreKitKernels.h.
#ifndef SCOREKIT_MIXTURE_H
#define SCOREKIT_MIXTURE_H

#include <stddef.h>

/// p[i] = e^(t[i] - top) where t[i] >= floor, else 0, for i < n. Needs floor >= top - 700 and
/// t[i] <= top; relative error a few units in the last place. An entry equal to top always
/// gets 1, even when top is so large that top - 60 rounds to top.
void scorekit_shifted_exp(const double *t, double top, double floor, double *p, size_t n);

#endif
