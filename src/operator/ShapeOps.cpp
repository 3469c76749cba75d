#include "fibnlr/operator/ShapeOps.hpp"

#include <algorithm>

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

std::vector<Shape> FlattenOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    const auto r = static_cast<std::int64_t>(x.size());
    require(attrs.axis >= -r && attrs.axis <= r,
            "axis " + std::to_string(attrs.axis) + " is out of range for input " + fibnlr::toString(x));
    const std::size_t axis = static_cast<std::size_t>(attrs.axis < 0 ? attrs.axis + r : attrs.axis);
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < x.size(); ++i)
        (i < axis ? outer : inner) = checkedMul(i < axis ? outer : inner, x[i], "Flatten size");
    return {{outer, inner}};
}

std::vector<Shape> ReshapeOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    Shape out;
    std::ptrdiff_t inferred = -1;
    std::size_t known = 1;
    for (std::size_t i = 0; i < attrs.shape.size(); ++i) {
        const std::int64_t s = attrs.shape[i];
        if (s == -1) {
            require(inferred < 0, "shape has more than one -1");
            inferred = static_cast<std::ptrdiff_t>(i);
            out.push_back(1);
        } else if (s == 0 && !attrs.allowzero) {
            require(i < x.size(), "shape has 0 at position " + std::to_string(i) + " beyond the rank of input " + fibnlr::toString(x));
            out.push_back(x[i]);
            known = checkedMul(known, x[i], "Reshape element count");
        } else {
            require(s >= 0, "shape value " + std::to_string(s) + " must be >= -1");
            out.push_back(static_cast<std::size_t>(s));
            known = checkedMul(known, static_cast<std::size_t>(s), "Reshape element count");
        }
    }
    const std::size_t total = numElements(x);
    if (inferred >= 0) {
        require(known != 0 && total % known == 0, "cannot reshape input " + fibnlr::toString(x) + " to the requested shape");
        out[static_cast<std::size_t>(inferred)] = total / known;
    }
    require(numElements(out) == total, "cannot reshape input " + fibnlr::toString(x) + " (" + std::to_string(total) +
                                           " elements) to " + fibnlr::toString(out));
    return {out};
}

std::vector<std::size_t> TransposeOp::permutation(std::size_t rank) const {
    std::vector<std::size_t> perm;
    if (attrs.perm.empty()) {
        for (std::size_t i = rank; i-- > 0;) perm.push_back(i);
        return perm;
    }
    require(attrs.perm.size() == rank, "perm has " + std::to_string(attrs.perm.size()) + " values for rank " +
                                           std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (std::int64_t p : attrs.perm) {
        std::size_t a = normalizeAxis(p, rank, "perm");
        require(!seen[a], "perm repeats axis " + std::to_string(a));
        seen[a] = true;
        perm.push_back(a);
    }
    return perm;
}

std::vector<Shape> TransposeOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    Shape out;
    for (std::size_t a : permutation(x.size())) out.push_back(x[a]);
    return {out};
}

std::vector<Shape> SqueezeOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    std::vector<bool> drop(x.size(), false);
    if (attrs.axes.empty()) {
        for (std::size_t i = 0; i < x.size(); ++i) drop[i] = x[i] == 1;
    } else {
        for (std::int64_t a : attrs.axes) {
            std::size_t i = normalizeAxis(a, x.size(), "Squeeze");
            require(x[i] == 1, "cannot squeeze axis " + std::to_string(i) + " of size " + std::to_string(x[i]) +
                                   " in " + fibnlr::toString(x));
            drop[i] = true;
        }
    }
    Shape out;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!drop[i]) out.push_back(x[i]);
    return {out};
}

std::vector<Shape> UnsqueezeOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    const std::size_t rank = x.size() + attrs.axes.size();
    std::vector<bool> inserted(rank, false);
    for (std::int64_t a : attrs.axes) {
        std::size_t i = normalizeAxis(a, rank, "Unsqueeze");
        require(!inserted[i], "Unsqueeze repeats axis " + std::to_string(i));
        inserted[i] = true;
    }
    Shape out;
    std::size_t k = 0;
    for (std::size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : x[k++]);
    return {out};
}

} // namespace fibnlr
