#pragma once
#include <catch2/catch.hpp>
#include <random>

#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/operator/OperatorList.hpp"

namespace fibnlr::test {

using Ints = std::vector<std::int64_t>;

/// Runs the "ref" kernel of `op` on `inputs` (an empty Tensor stands for an
/// absent optional input) into outputs shaped by the operator's shape rule.
inline std::vector<Tensor> runRef(const Operator& op, const std::vector<Tensor>& inputs) {
    std::vector<Shape> shapes;
    std::vector<const Tensor*> in;
    for (const Tensor& t : inputs) {
        shapes.push_back(t.empty() ? Shape{} : t.dims());
        in.push_back(t.empty() ? nullptr : &t);
    }
    std::vector<Tensor> outs;
    for (const Shape& s : op.inferShapes(shapes)) outs.emplace_back(s);
    std::vector<Tensor*> out;
    for (Tensor& t : outs) out.push_back(&t);
    const KernelFn fn = findKernel(op.type(), "ref");
    REQUIRE(fn != nullptr);
    fn(op, in, out);
    return outs;
}

/// The single output of the ref kernel of operator `type` with attributes `attrs`.
inline Tensor runRef(const std::string& type, const std::vector<Tensor>& inputs, const AttrList& attrs = {}) {
    OperatorPtr op = makeOperator(type, attrs);
    if (op->isVariadic()) op->setNbInputs(inputs.size());
    return runRef(*op, inputs).at(0);
}

inline Tensor tensor(Shape dims, const std::vector<float>& values) { return Tensor::fromVector(std::move(dims), values); }

/// Uniform values in [-1, 1) from a fixed seed.
inline Tensor randomTensor(Shape dims, unsigned seed) {
    Tensor t(std::move(dims));
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(gen);
    return t;
}

inline void requireClose(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-5) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i);
        REQUIRE(got[i] == Approx(want[i]).epsilon(tol).margin(tol));
    }
}

inline void requireTensor(const Tensor& got, const Shape& dims, const std::vector<float>& want, double tol = 1e-5) {
    REQUIRE(got.dims() == dims);
    requireClose(got.toVector<float>(), want, tol);
}

} // namespace fibnlr::test
