// The CBLAS interface of OpenBLAS (Debian: libopenblas-dev puts cblas.h on the include path).
#include <cblas.h>
