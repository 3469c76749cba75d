#include "fibnlr/kernels/cpu/ThreadPool.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fibnlr {

namespace {

thread_local bool tInsideTask = false;

/// n − 1 workers plus the calling thread. One job at a time (callers hold
/// mRunMutex); its tasks are handed out through an atomic counter, so a job of
/// n tasks on n threads runs its tasks concurrently: OpenBLAS's threaded GEMM
/// needs that (its tasks wait for each other's packed panels). Each job is its
/// own object, so a worker waking late can only see an exhausted old job.
class Pool {
    struct Job {
        const std::function<void(std::size_t)>* fn;
        std::size_t count;
        std::atomic<std::size_t> next{0};
        std::size_t pending;  // guarded by Pool::mMutex
        std::exception_ptr error;
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
            ++mGeneration;
        }
        mWake.notify_all();
        work(*job);
        std::unique_lock<std::mutex> lk(mMutex);
        mDone.wait(lk, [&] { return job->pending == 0; });
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
        if (finished) {
            std::lock_guard<std::mutex> lk(mMutex);
            job.pending -= finished;
            if (job.pending == 0) mDone.notify_all();
        }
    }
    void workerLoop() {
        std::size_t seen = 0;
        for (;;) {
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
    std::size_t mGeneration = 0;
    bool mStop = false;
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

/// OpenBLAS's threads callback: run its `numjobs` jobs on our pool. Called
/// from inside one of our tasks (should not happen: kernels call BLAS only
/// from the calling thread), the jobs get fresh threads so they still run
/// concurrently.
void blasCallback(int /*sync*/, openblas_dojob_callback dojob, int numjobs, size_t elsize, void* jobdata, int data) {
    auto job = [&](std::size_t i) {
        dojob(static_cast<int>(i), static_cast<char*>(jobdata) + i * elsize, data);
    };
    if (numjobs <= 0) return;
    std::shared_ptr<Pool> pool;
    {
        std::lock_guard<std::mutex> lk(gPoolMutex);
        pool = gPool;
    }
    if (!tInsideTask && pool && static_cast<std::size_t>(numjobs) <= pool->size()) {
        pool->run(static_cast<std::size_t>(numjobs), job);
        return;
    }
    std::vector<std::thread> extra;
    for (int i = 1; i < numjobs; ++i) extra.emplace_back(job, static_cast<std::size_t>(i));
    job(0);
    for (std::thread& t : extra) t.join();
}

std::shared_ptr<Pool> pool() {
    std::lock_guard<std::mutex> lk(gPoolMutex);
    if (!gPool) {
        const std::size_t n = defaultThreads();
        gPool = std::make_shared<Pool>(n);
        scipy_openblas_set_threads_callback_function(blasCallback);
        scipy_openblas_set_num_threads(static_cast<int>(n));
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
    scipy_openblas_set_threads_callback_function(blasCallback);
    scipy_openblas_set_num_threads(static_cast<int>(n));
}

std::size_t numThreads() { return pool()->size(); }

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
    const std::size_t threads = tInsideTask ? 1 : numThreads();
    const std::size_t chunks = std::max<std::size_t>(1, std::min(threads, (total + grain - 1) / grain));
    const std::size_t step = (total + chunks - 1) / chunks;
    parallelFor(chunks, [&](std::size_t c) {
        const std::size_t b = c * step, e = std::min(total, b + step);
        if (b < e) fn(b, e);
    });
}

} // namespace fibnlr
