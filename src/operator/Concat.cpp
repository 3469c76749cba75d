#include "fibnlr/operator/Concat.hpp"

#include "fibnlr/operator/Elementwise.hpp"
#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
constexpr std::int64_t kMaxSplitOutputs = 65536;
} // namespace

void ConcatOp::setNbInputs(std::size_t n) {
    require(n >= 1, "Concat needs at least one input");
    mSpecs = numberedDataInputs("inputs_", n);
}

std::vector<Shape> ConcatOp::inferShapes(const std::vector<Shape>& in) const {
    Shape out = in.at(0);
    const std::size_t axis = normalizeAxis(attrs.axis, out.size(), "Concat");
    for (std::size_t i = 1; i < in.size(); ++i) {
        bool ok = in[i].size() == out.size();
        for (std::size_t d = 0; ok && d < out.size(); ++d) ok = d == axis || in[i][d] == out[d];
        require(ok, "input " + std::to_string(i) + " " + fibnlr::toString(in[i]) + " does not match input 0 " +
                        fibnlr::toString(in[0]) + " outside axis " + std::to_string(axis));
        out[axis] = checkedAdd(out[axis], in[i][axis], "Concat axis size");
    }
    return {out};
}

const std::vector<InputSpec>& SplitOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"input", InputCategory::Data}};
    return specs;
}

void SplitOp::validate() const {
    require(attrs.numOutputs >= 1, "num_outputs " + std::to_string(attrs.numOutputs) + " must be >= 1");
    require(attrs.split.empty() || attrs.split.size() == static_cast<std::size_t>(attrs.numOutputs),
            "split has " + std::to_string(attrs.split.size()) + " sizes for " + std::to_string(attrs.numOutputs) +
                " outputs");
    for (auto s : attrs.split) require(s >= 0, "split sizes must be >= 0");
    // One output shape is built per output: a count from a corrupt model must not exhaust memory.
    require(attrs.numOutputs <= kMaxSplitOutputs, "num_outputs " + std::to_string(attrs.numOutputs) +
                                                      " is more than " + std::to_string(kMaxSplitOutputs));
}

std::vector<std::size_t> SplitOp::parts(std::size_t dim) const {
    validate();
    std::vector<std::size_t> out;
    if (!attrs.split.empty()) {
        std::size_t total = 0;
        for (auto s : attrs.split)
            out.push_back(static_cast<std::size_t>(s)), total = checkedAdd(total, out.back(), "sum of split sizes");
        require(total == dim, "split sizes add up to " + std::to_string(total) + " but the axis has " +
                                  std::to_string(dim));
        return out;
    }
    const auto n = static_cast<std::size_t>(attrs.numOutputs);
    const std::size_t chunk = (dim + n - 1) / n;
    require(chunk * (n - 1) < dim || (dim == 0), "cannot split " + std::to_string(dim) + " into " +
                                                     std::to_string(n) + " non-empty parts");
    for (std::size_t i = 0; i < n; ++i) out.push_back(i + 1 < n ? chunk : dim - chunk * (n - 1));
    return out;
}

std::vector<Shape> SplitOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    const std::size_t axis = normalizeAxis(attrs.axis, x.size(), "Split");
    std::vector<Shape> outs;
    for (std::size_t p : parts(x[axis])) {
        Shape s = x;
        s[axis] = p;
        outs.push_back(s);
    }
    return outs;
}

} // namespace fibnlr
