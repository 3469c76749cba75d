// The plain micro-kernels: compiled with the project's default flags (runs on any x86-64 / other CPU).
#define FIBNLR_MICRO_NS generic
#define FIBNLR_MICRO_NAME "generic"
#define FIBNLR_GEMM_W 4
#define FIBNLR_GEMM_MR 6
#include "MicroImpl.inl"
