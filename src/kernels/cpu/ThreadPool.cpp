#include "fibnlr/kernels/cpu/ThreadPool.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fibnlr {

namespace {

thread_local bool tInsideTask = false;

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

/// How long a thread spins before it sleeps: an idle worker waiting for the next
/// parallel region, and the caller waiting for the last task. FIBNLR_SPIN_US
/// (microseconds, 0: never spin) overrides the default.
std::chrono::microseconds spinBudget() {
    static const std::chrono::microseconds budget = [] {
        long us = 300;
        if (const char* e = std::getenv("FIBNLR_SPIN_US")) us = std::max(0L, std::strtol(e, nullptr, 10));
        return std::chrono::microseconds(us);
    }();
    return budget;
}

/// Spins until done() or the spin budget is spent; returns done(). Every 16th
/// round yields the core: on a loaded machine the spinner then steps aside for
/// the threads that have work (a plain spin slowed a batch-1 forward 1.4x
/// with a compiler running beside it); on a quiet one, yield returns at once.
template <class Done> bool spinUntil(Done done) {
    const std::chrono::microseconds budget = spinBudget();
    if (budget.count() == 0) return done();
    const auto end = std::chrono::steady_clock::now() + budget;
    for (unsigned i = 1;; ++i) {
        if (done()) return true;
        if (i % 16 == 0) {
            std::this_thread::yield();
            if (std::chrono::steady_clock::now() >= end) return done();
        } else {
            cpuRelax();
        }
    }
}

/// n − 1 workers plus the calling thread. One job at a time (callers hold
/// mRunMutex); its tasks are handed out through an atomic counter. Each job is
/// its own object, so a worker waking late can only see an exhausted old job.
///
/// Waiting spins briefly, then sleeps (why: ThreadPool.hpp).
class Pool {
    struct Job {
        const std::function<void(std::size_t)>* fn;
        std::size_t count;
        std::atomic<std::size_t> next{0};
        std::atomic<std::size_t> pending;
        std::exception_ptr error;  // guarded by Pool::mMutex
    };

public:
    explicit Pool(std::size_t n) {
        for (std::size_t i = 1; i < n; ++i) mWorkers.emplace_back([this] { workerLoop(); });
    }
    ~Pool() {
        {
            std::lock_guard<std::mutex> lk(mMutex);
            mStop = true;
        }
        mWake.notify_all();
        for (std::thread& t : mWorkers) t.join();
    }
    std::size_t size() const { return mWorkers.size() + 1; }

    void run(std::size_t n, const std::function<void(std::size_t)>& fn) {
        std::lock_guard<std::mutex> runLock(mRunMutex);
        auto job = std::make_shared<Job>();
        job->fn = &fn;
        job->count = n;
        job->pending = n;
        {
            std::lock_guard<std::mutex> lk(mMutex);
            mJob = job;
            mGeneration.fetch_add(1, std::memory_order_release);
        }
        mWake.notify_all();
        work(*job);
        auto finished = [&] { return job->pending.load(std::memory_order_acquire) == 0; };
        const bool spun = spinUntil(finished);
        std::unique_lock<std::mutex> lk(mMutex);
        if (!spun) mDone.wait(lk, finished);
        mJob.reset();
        if (job->error) std::rethrow_exception(job->error);
    }

private:
    void work(Job& job) {
        const bool outer = tInsideTask;
        tInsideTask = true;
        std::size_t finished = 0;
        for (std::size_t i; (i = job.next.fetch_add(1)) < job.count;) {
            try {
                (*job.fn)(i);
            } catch (...) {
                std::lock_guard<std::mutex> lk(mMutex);
                if (!job.error) job.error = std::current_exception();
            }
            ++finished;
        }
        tInsideTask = outer;
        // The last finisher wakes a sleeping caller; notifying under the mutex
        // means the caller either saw pending == 0 or is already waiting.
        if (finished && job.pending.fetch_sub(finished, std::memory_order_acq_rel) == finished) {
            std::lock_guard<std::mutex> lk(mMutex);
            mDone.notify_all();
        }
    }
    void workerLoop() {
        std::size_t seen = 0;
        for (;;) {
            spinUntil([&] {
                return mGeneration.load(std::memory_order_acquire) != seen || mStop.load(std::memory_order_relaxed);
            });
            std::shared_ptr<Job> job;
            {
                std::unique_lock<std::mutex> lk(mMutex);
                mWake.wait(lk, [&] { return mStop || mGeneration != seen; });  // passive wait
                if (mStop) return;
                seen = mGeneration;
                job = mJob;
            }
            if (job) work(*job);
        }
    }

    std::vector<std::thread> mWorkers;
    std::mutex mRunMutex, mMutex;
    std::condition_variable mWake, mDone;
    std::shared_ptr<Job> mJob;
    std::atomic<std::size_t> mGeneration{0};  // written under mMutex, read by spinning workers
    std::atomic<bool> mStop{false};           // written under mMutex
};

std::size_t defaultThreads() {
    if (const char* e = std::getenv("FIBNLR_NUM_THREADS")) {
        const long v = std::strtol(e, nullptr, 10);
        if (v > 0) return static_cast<std::size_t>(v);
    }
    return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

std::mutex gPoolMutex;
std::shared_ptr<Pool> gPool;

/// Our OpenBLAS (scipy_-prefixed, used by nobody else) always runs on the
/// calling thread: kernels split their GEMMs into independent blocks over
/// this pool instead. OpenBLAS's own threaded GEMM synchronises its threads
/// by spinning on shared flags, which collapses when the cores are shared
/// with other processes (measured: 60 % of the time spinning at 2 threads on
/// a loaded machine); independent blocks only wait at the end of the region.
void pinBlasToOneThread() { scipy_openblas_set_num_threads(1); }

std::shared_ptr<Pool> pool() {
    std::lock_guard<std::mutex> lk(gPoolMutex);
    if (!gPool) {
        const std::size_t n = defaultThreads();
        gPool = std::make_shared<Pool>(n);
        pinBlasToOneThread();
    }
    return gPool;
}

} // namespace

void setNumThreads(std::size_t n) {
    if (n == 0) n = defaultThreads();
    std::lock_guard<std::mutex> lk(gPoolMutex);
    if (gPool && gPool->size() == n) return;
    gPool.reset();  // joins the old workers (a run in progress holds its own reference)
    gPool = std::make_shared<Pool>(n);
    pinBlasToOneThread();
}

std::size_t numThreads() { return pool()->size(); }
std::size_t threadsHere() { return tInsideTask ? 1 : numThreads(); }

SerialScope::SerialScope() : mOuter(tInsideTask) { tInsideTask = true; }
SerialScope::~SerialScope() { tInsideTask = mOuter; }

void parallelFor(std::size_t n, const std::function<void(std::size_t)>& fn) {
    if (n == 0) return;
    std::shared_ptr<Pool> p = tInsideTask ? nullptr : pool();
    if (n == 1 || !p || p->size() == 1) {
        for (std::size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    p->run(n, fn);
}

void parallelRange(std::size_t total, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn) {
    if (total == 0) return;
    grain = std::max<std::size_t>(grain, 1);
    const std::size_t threads = threadsHere();
    const std::size_t chunks = std::max<std::size_t>(1, std::min(threads, (total + grain - 1) / grain));
    const std::size_t step = (total + chunks - 1) / chunks;
    parallelFor(chunks, [&](std::size_t c) {
        const std::size_t b = c * step, e = std::min(total, b + step);
        if (b < e) fn(b, e);
    });
}

} // namespace fibnlr

namespace fibnlr {

void sgemmParallel(bool transA, bool transB, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                   std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
    auto call = [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        // Block [m0, m1) × [n0, n1) of C; op(A) rows and op(B) columns offset accordingly.
        const float* a = transA ? A + m0 : A + m0 * lda;
        const float* b = transB ? B + n0 * ldb : B + n0;
        if (m1 - m0 == 1) {
            // One row of C (a fully connected layer at batch 1): a GEMV reads op(B) once, in place, where
            // SGEMM packs all of it first (1280 × 1000 weights: 0.45 ms against onnxruntime's 0.20).
            // C is zeroed first when beta = 0 so that its old contents (NaN included) are never read.
            float* c = C + m0 * ldc + n0;
            const blasint n = static_cast<blasint>(n1 - n0), k = static_cast<blasint>(K);
            if (beta == 0.f) std::fill(c, c + (n1 - n0), 0.f);
            const blasint incx = transA ? static_cast<blasint>(lda) : 1;
            if (transB) scipy_cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, b, static_cast<blasint>(ldb), a, incx, beta, c, 1);
            else scipy_cblas_sgemv(CblasRowMajor, CblasTrans, k, n, alpha, b, static_cast<blasint>(ldb), a, incx, beta, c, 1);
            return;
        }
        scipy_cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                          static_cast<blasint>(m1 - m0), static_cast<blasint>(n1 - n0), static_cast<blasint>(K), alpha, a,
                          static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, C + m0 * ldc + n0,
                          static_cast<blasint>(ldc));
    };
    const std::size_t T = threadsHere();
    const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    // A GEMV (M = 1) is bound by reading op(B), not by its flops: split it too once op(B) is 1 MB
    // (MobileNetV2's 1280 × 1000 classifier at 2 threads: 0.25 → 0.13 ms per step, ResNet18's
    // 512 × 1000 0.17 → 0.10; onnxruntime 0.11 and 0.07).
    const bool gemv = M == 1 && N * K >= (std::size_t(1) << 18);
    if (T == 1 || (flops < 4e6 && !gemv)) {
        call(0, M, 0, N);
        return;
    }
    // Split the larger of op(A)'s rows and op(B)'s columns: each SGEMM call packs the whole of the other
    // operand, so a column split with M ≥ N (1×1 convs on 7×7 and 14×14 maps at batch 1: 160-960 rows of
    // weights, 49-196 columns) had every thread pack all the weights (rows instead: 1.2-1.4× per such
    // layer at 2 threads). Blocks are multiples of 16 (the SGEMM kernels' register width) unless the
    // dimension is small.
    auto blockOf = [T](std::size_t n) {
        const std::size_t step = (n + T - 1) / T;
        return n >= 16 * T ? (step + 15) / 16 * 16 : step;
    };
    if (N >= 16 * T && N > M) {
        const std::size_t step = blockOf(N);
        parallelFor((N + step - 1) / step, [&](std::size_t t) { call(0, M, t * step, std::min(N, (t + 1) * step)); });
    } else {
        const std::size_t step = blockOf(M);
        parallelFor((M + step - 1) / step, [&](std::size_t t) { call(t * step, std::min(M, (t + 1) * step), 0, N); });
    }
}

} // namespace fibnlr
