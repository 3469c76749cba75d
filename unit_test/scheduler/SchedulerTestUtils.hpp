#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::test {

/// Uniform in [lo, hi), reproducible from `seed`.
inline Tensor rnd(Shape dims, float lo, float hi, unsigned seed) {
    Tensor t(std::move(dims));
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(gen);
    return t;
}

/// Compiles `g` for x's dims on `backend` and returns its first output.
inline std::vector<float> run(GraphView& g, const std::string& backend, const Tensor& x) {
    compile(g, CompileOptions{backend, DataType::Float32, {x.dims()}});
    return forward(g, {x})[0].toVector<float>();
}

/// max |a − b| ≤ 1e-5 · max(1, max |b|): whole-graph outputs against the ref backend.
inline void requireClose(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    float scale = 1.f, err = 0.f;
    for (std::size_t i = 0; i < a.size(); ++i) scale = std::max(scale, std::fabs(b[i])), err = std::max(err, std::fabs(a[i] - b[i]));
    CHECK(err <= 1e-5f * scale);
}

} // namespace fibnlr::test
