// The C interface of OpenBLAS (Debian: libopenblas-dev). Only Kernels/Gemm.swift and
// Kernels/SymmetricEigen.swift in WeftEngine use it.
#include <cblas.h>

// LAPACK's symmetric eigensolver, which OpenBLAS's library carries (Debian installs no LAPACK
// header with it): the Fortran calling convention, every argument by reference, column-major.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);
