// The AVX2+FMA micro-kernels: this file alone is compiled with -mavx2 -mfma
// (CMakeLists.txt); it is only called after a run-time CPU check (Isa.cpp).
#if defined(__x86_64__) || defined(__i386__)
#define FIBNLR_MICRO_NS avx2
#define FIBNLR_MICRO_NAME "avx2"
#define FIBNLR_GEMM_W 8
#define FIBNLR_GEMM_MR 6
#include "MicroImpl.inl"
#endif
