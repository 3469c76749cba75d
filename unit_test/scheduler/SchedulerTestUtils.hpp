#pragma once
#include <random>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr::test {

/// Uniform in [lo, hi), reproducible from `seed`.
inline Tensor rnd(Shape dims, float lo, float hi, unsigned seed) {
    Tensor t(std::move(dims));
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(gen);
    return t;
}

} // namespace fibnlr::test
