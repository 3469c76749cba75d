// The plain micro-kernels: compiled with the project's default flags (runs on any x86-64 / other CPU).
#define FIBNLR_MICRO_NS generic
#define FIBNLR_MICRO_NAME "generic"
#include "MicroImpl.inl"
