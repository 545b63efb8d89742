// The C interface of OpenBLAS (Debian: libopenblas-dev). Only Kernels/Gemm.swift and
// Kernels/Threads.swift in WeftEngine use it.
#include <cblas.h>
