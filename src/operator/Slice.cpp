#include "fibnlr/operator/Slice.hpp"

#include <algorithm>
#include <limits>

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
// Dims are converted to int64 to meet signed starts, ends and pads.
constexpr auto kMaxDim = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());

const std::vector<InputSpec>& oneData() {
    static const std::vector<InputSpec> specs{{"data", InputCategory::Data}};
    return specs;
}
} // namespace

const std::vector<InputSpec>& SliceOp::inputSpecs() const { return oneData(); }

SliceRange SliceOp::resolve(const Shape& x) const {
    const std::size_t n = attrs.starts.size();
    require(attrs.ends.size() == n, "starts and ends must have the same length");
    require(attrs.axes.empty() || attrs.axes.size() == n, "axes must have the length of starts");
    require(attrs.steps.empty() || attrs.steps.size() == n, "steps must have the length of starts");
    SliceRange r;
    r.start.assign(x.size(), 0);
    r.step.assign(x.size(), 1);
    r.outDims = x;
    std::vector<bool> seen(x.size(), false);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t a = normalizeAxis(attrs.axes.empty() ? static_cast<std::int64_t>(i) : attrs.axes[i], x.size(), "Slice");
        require(!seen[a], "Slice repeats axis " + std::to_string(a));
        seen[a] = true;
        require(x[a] <= kMaxDim, "axis " + std::to_string(a) + " of " + fibnlr::toString(x) + " is too large");
        const auto dim = static_cast<std::int64_t>(x[a]);
        const std::int64_t step = attrs.steps.empty() ? 1 : attrs.steps[i];
        require(step != 0, "steps must not be 0");
        std::int64_t s = attrs.starts[i], e = attrs.ends[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (step > 0) {
            s = std::clamp<std::int64_t>(s, 0, dim);
            e = std::clamp<std::int64_t>(e, 0, dim);
        } else if (dim > 0) {
            s = std::clamp<std::int64_t>(s, 0, dim - 1);
            e = std::clamp<std::int64_t>(e, -1, dim - 1);
        } else {
            s = e = 0;  // an empty axis stays empty ([0, -1] would be one element)
        }
        // Written so that huge steps cannot overflow.
        // -step is computed as -(step + 1) + 1 in unsigned: step may be INT64_MIN.
        const std::uint64_t back = static_cast<std::uint64_t>(-(step + 1)) + 1;
        const std::int64_t len = step > 0 ? (e > s ? (e - s - 1) / step + 1 : 0)
                                          : (s > e ? static_cast<std::int64_t>(static_cast<std::uint64_t>(s - e - 1) / back) + 1 : 0);
        r.start[a] = s;
        r.step[a] = step;
        r.outDims[a] = static_cast<std::size_t>(len);
    }
    return r;
}

std::vector<Shape> SliceOp::inferShapes(const std::vector<Shape>& in) const { return {resolve(in.at(0)).outDims}; }

const std::vector<InputSpec>& PadOp::inputSpecs() const { return oneData(); }

void PadOp::validate() const {
    require(attrs.mode == "constant" || attrs.mode == "reflect" || attrs.mode == "edge",
            "mode '" + attrs.mode + "' must be constant, reflect or edge");
}

std::vector<Shape> PadOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    const Shape& x = in.at(0);
    require(attrs.pads.size() == 2 * x.size(), "pads has " + std::to_string(attrs.pads.size()) + " values for input " +
                                                   fibnlr::toString(x) + " (expected " + std::to_string(2 * x.size()) + ")");
    Shape out;
    for (std::size_t i = 0; i < x.size(); ++i) {
        // Negative pads crop first; positive pads then extend what is left (len).
        const std::int64_t pb = attrs.pads[i], pe = attrs.pads[i + x.size()];
        // Pads are int64s from the model: sums are checked so 2^62-sized pads cannot wrap.
        require(x[i] <= kMaxDim, "axis " + std::to_string(i) + " of " + fibnlr::toString(x) + " is too large");
        const auto dim = static_cast<std::int64_t>(x[i]);
        const std::int64_t len = checkedAdd64(checkedAdd64(dim, std::min<std::int64_t>(pb, 0), "Pad cropped size"),
                                              std::min<std::int64_t>(pe, 0), "Pad cropped size");
        require(len >= 0, "pads " + std::to_string(pb) + ", " + std::to_string(pe) + " crop axis " + std::to_string(i) +
                              " of " + fibnlr::toString(x) + " below zero");
        for (std::int64_t p : {pb, pe}) {
            require(p <= 0 || attrs.mode != "reflect" || p < len,
                    "reflect pad " + std::to_string(p) + " must be smaller than the size " + std::to_string(len) +
                        " of axis " + std::to_string(i) + " (after cropping)");
            require(p <= 0 || attrs.mode != "edge" || len > 0,
                    "edge pad " + std::to_string(p) + " needs a non-empty axis " + std::to_string(i));
        }
        const std::int64_t size = checkedAdd64(checkedAdd64(dim, pb, "Pad output size"), pe, "Pad output size");
        require(size >= 0, "pads " + std::to_string(pb) + ", " + std::to_string(pe) + " give axis " +
                               std::to_string(i) + " a negative size");
        out.push_back(static_cast<std::size_t>(size));
    }
    return {out};
}

} // namespace fibnlr
