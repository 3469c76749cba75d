#include "fibnlr/operator/Gemm.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

const std::vector<InputSpec>& GemmOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{
        {"A", InputCategory::Data}, {"B", InputCategory::Param}, {"C", InputCategory::OptionalParam}};
    return specs;
}

void GemmOp::validate() const {
    require(attrs.transA == 0 || attrs.transA == 1, "transA " + std::to_string(attrs.transA) + " must be 0 or 1");
    require(attrs.transB == 0 || attrs.transB == 1, "transB " + std::to_string(attrs.transB) + " must be 0 or 1");
}

std::vector<Shape> GemmOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    const Shape& a = in.at(0);
    const Shape& b = in.at(1);
    require(a.size() == 2, "input A must be 2-D, got " + fibnlr::toString(a));
    require(b.size() == 2, "input B must be 2-D, got " + fibnlr::toString(b));
    const std::size_t m = attrs.transA ? a[1] : a[0], k = attrs.transA ? a[0] : a[1];
    const std::size_t kb = attrs.transB ? b[1] : b[0], n = attrs.transB ? b[0] : b[1];
    require(k == kb, "inner dimensions differ: A " + fibnlr::toString(a) + " and B " + fibnlr::toString(b) + " (transA " +
                         std::to_string(attrs.transA) + ", transB " + std::to_string(attrs.transB) + ")");
    if (in.size() > 2 && !in[2].empty()) {
        // Unidirectional: C (rank <= 2, right-aligned) broadcasts to [M, N], never the other way.
        const Shape& c = in[2];
        bool ok = c.size() <= 2;
        for (std::size_t i = 0; ok && i < c.size(); ++i) {
            const std::size_t d = c[c.size() - 1 - i], want = i == 0 ? n : m;
            ok = d == 1 || d == want;
        }
        require(ok, "bias C " + fibnlr::toString(c) + " does not broadcast to [" + std::to_string(m) + ", " +
                        std::to_string(n) + "]");
    }
    return {{m, n}};
}

const std::vector<InputSpec>& MatMulOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"A", InputCategory::Data}, {"B", InputCategory::Data}};
    return specs;
}

std::vector<Shape> MatMulOp::inferShapes(const std::vector<Shape>& in) const {
    Shape a = in.at(0), b = in.at(1);
    require(!a.empty() && !b.empty(), "MatMul operands must have rank >= 1");
    const bool va = a.size() == 1, vb = b.size() == 1;
    if (va) a.insert(a.begin(), 1);
    if (vb) b.push_back(1);
    require(a.back() == b[b.size() - 2], "inner dimensions differ: A " + fibnlr::toString(in[0]) + " and B " + fibnlr::toString(in[1]));
    Shape batch = broadcastShapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
    if (!va) batch.push_back(a[a.size() - 2]);
    if (!vb) batch.push_back(b.back());
    return {batch};
}

} // namespace fibnlr
