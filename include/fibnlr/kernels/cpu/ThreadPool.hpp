#pragma once
#include <cstddef>
#include <functional>

namespace fibnlr {

/// The one threading runtime of fibnlr. OpenBLAS is pinned to one thread
/// (it runs on whichever pool thread calls it); kernels split GEMMs into
/// independent blocks over this pool, so the two never oversubscribe the cores.
///
/// Why our own pool and not OpenMP: OpenMP's default is to spin after a
/// parallel region (GOMP_SPINCOUNT), which slows a Python process that also
/// runs torch or onnxruntime, and mixing libgomp with torch's own runtime is
/// fragile. Workers here spin for at most 300 µs after a parallel region
/// (FIBNLR_SPIN_US, 0 to never spin), yielding the core every few rounds,
/// then sleep on a condition variable: a pool idle for longer costs nothing.
/// The spin is for batch 1, where a forward opens a region every 20-300 µs
/// and a futex wake-up plus context switch (5-50 µs) per region ate what the
/// second thread saved (ResNet18 32×32 batch 1 at 2 threads: 7.8 ms without
/// spinning, 5.3 ms with).
///
/// Default size: std::thread::hardware_concurrency(), or FIBNLR_NUM_THREADS.
void setNumThreads(std::size_t n);
std::size_t numThreads();
/// The threads a parallel call made here would use: 1 inside a task or a
/// SerialScope, else numThreads(). For kernels that shape their work items
/// by the threads that will run them.
std::size_t threadsHere();

/// Runs fn(i) for i in [0, n), spread over the pool; the caller takes part and
/// returns when all are done. Called from inside a task it runs serially
/// (no nested parallelism). The first exception thrown by a task is rethrown.
void parallelFor(std::size_t n, const std::function<void(std::size_t)>& fn);

/// While it lives, the parallel calls of the calling thread run serially on
/// it, as inside a task: for steps too small to pay for waking the pool
/// (a wake-up costs ~5-10 µs per parallel region; a Winograd or im2col step
/// opens several).
class SerialScope {
public:
    SerialScope();
    ~SerialScope();
    SerialScope(const SerialScope&) = delete;
    SerialScope& operator=(const SerialScope&) = delete;

private:
    bool mOuter;
};

/// Independent SGEMM (row-major) C = alpha·op(A)·op(B) + beta·C, split into
/// column blocks (or row blocks when M ≥ N or N is small) over the pool when
/// large enough; runs serially inside a task. One row of C is a GEMV.
void sgemmParallel(bool transA, bool transB, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                   std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc);

/// Splits [0, total) into about numThreads() contiguous chunks of at least
/// `grain` items and calls fn(begin, end) on each, in parallel.
void parallelRange(std::size_t total, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn);

} // namespace fibnlr
