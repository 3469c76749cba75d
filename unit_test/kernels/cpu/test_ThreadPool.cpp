#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <stdexcept>
#include <vector>

#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Gemm.hpp"

using namespace fibnlr;

TEST_CASE("parallelFor runs every index once, nested calls run serially", "[threads]") {
    const std::size_t before = numThreads();
    for (std::size_t threads : {1, 2, 5}) {
        setNumThreads(threads);
        CHECK(numThreads() == threads);
        std::vector<std::atomic<int>> hits(1000);
        parallelFor(hits.size(), [&](std::size_t i) {
            hits[i]++;
            if (i % 100 == 0) parallelFor(3, [&](std::size_t) {});  // nested: serial, no deadlock
        });
        for (auto& h : hits) CHECK(h.load() == 1);
        std::atomic<std::size_t> covered{0};
        parallelRange(1001, 7, [&](std::size_t lo, std::size_t hi) { covered += hi - lo; });
        CHECK(covered.load() == 1001);
    }
    setNumThreads(before);
}

TEST_CASE("an exception in a task reaches the caller and the pool still works", "[threads]") {
    setNumThreads(3);
    CHECK_THROWS_AS(parallelFor(10, [](std::size_t i) {
                        if (i == 7) throw std::runtime_error("task 7");
                    }),
                    std::runtime_error);
    std::atomic<int> n{0};
    parallelFor(10, [&](std::size_t) { n++; });
    CHECK(n.load() == 10);
    setNumThreads(0);  // back to the default
    CHECK(numThreads() >= 1);
}

TEST_CASE("sgemmParallel equals the ref GEMM in every split", "[threads]") {
    for (std::size_t threads : {1, 2, 3}) {
        setNumThreads(threads);
        for (auto [M, N, K, ta, tb] : std::vector<std::tuple<std::size_t, std::size_t, std::size_t, bool, bool>>{
                 {64, 200, 300, false, false}, {300, 10, 256, true, false}, {33, 129, 257, false, true}, {3, 5, 7, true, true},
                 // GEMVs of ≥ 256 K elements of op(B), split over columns (not a multiple of 16 in the second)
                 {1, 1000, 300, false, false}, {1, 517, 600, true, true}}) {
            std::vector<float> a(M * K), b(K * N), y(M * N), want(M * N);
            for (std::size_t i = 0; i < a.size(); ++i) a[i] = (static_cast<float>(i * 37 % 101) - 50.f) / 50.f;
            for (std::size_t i = 0; i < b.size(); ++i) b[i] = (static_cast<float>(i * 53 % 97) - 48.f) / 48.f;
            const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
            sgemmParallel(ta, tb, M, N, K, 1.f, a.data(), lda, b.data(), ldb, 0.f, y.data(), N);
            GemmParams p;
            p.M = M, p.N = N, p.K = K, p.lda = lda, p.ldb = ldb, p.transA = ta, p.transB = tb, p.beta = 0.f;
            gemm_f32_ref(p, a.data(), b.data(), nullptr, want.data());
            float err = 0.f;
            for (std::size_t i = 0; i < y.size(); ++i) err = std::max(err, std::abs(y[i] - want[i]));
            INFO(M << "x" << N << "x" << K << " threads " << threads);
            CHECK(err < 1e-3f);
        }
    }
    setNumThreads(0);
}

TEST_CASE("inside a SerialScope every parallel call runs on the calling thread, and the pool comes back after it",
          "[threads]") {
    setNumThreads(3);
    const std::thread::id caller = std::this_thread::get_id();
    auto threadsUsed = [&] {
        std::mutex m;
        std::set<std::thread::id> seen;
        // Tasks long enough that the workers take some whenever the pool is in use.
        parallelFor(64, [&](std::size_t) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            std::lock_guard<std::mutex> lk(m);
            seen.insert(std::this_thread::get_id());
        });
        return seen;
    };
    CHECK(threadsHere() == 3);
    {
        SerialScope serial;
        {
            SerialScope nested;  // restores "serial", not "parallel", when it ends
        }
        CHECK(threadsHere() == 1);
        CHECK(threadsUsed() == std::set<std::thread::id>{caller});
        std::atomic<std::size_t> covered{0};
        parallelRange(1001, 1, [&](std::size_t lo, std::size_t hi) {
            CHECK(std::this_thread::get_id() == caller);
            covered += hi - lo;
        });
        CHECK(covered.load() == 1001);
    }
    CHECK(threadsUsed().size() > 1);
    CHECK(threadsHere() == 3);
    parallelFor(2, [&](std::size_t) { CHECK(threadsHere() == 1); });  // inside a task
    setNumThreads(0);
}
