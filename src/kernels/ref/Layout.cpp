#include <algorithm>
#include <cstring>

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Concat.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"
#include "fibnlr/operator/ShapeOps.hpp"
#include "fibnlr/operator/Slice.hpp"

namespace fibnlr {

namespace {
/// y[o] = x[base + Σ_a coef[a]·o[a]] for every multi-index o of `outDims`;
/// coefficients are negative for reversed axes (Slice with negative steps).
void affineGather(const float* x, std::ptrdiff_t base, const std::vector<std::ptrdiff_t>& coef, const Shape& outDims,
                  float* y) {
    std::vector<std::size_t> o(outDims.size());
    for (std::size_t i = 0, n = numElements(outDims); i < n; ++i) {
        unravel(i, outDims, o);
        std::ptrdiff_t off = base;
        for (std::size_t a = 0; a < o.size(); ++a) off += coef[a] * static_cast<std::ptrdiff_t>(o[a]);
        y[i] = x[off];
    }
}

/// Copies `rows` rows of `len` floats; consecutive rows are `srcRow` apart in
/// src and `dstRow` apart in dst (one Concat input or Split output seen as [outer, len]).
void copyRows(const float* src, std::size_t srcRow, float* dst, std::size_t dstRow, std::size_t rows, std::size_t len) {
    for (std::size_t r = 0; r < rows; ++r) std::copy(src + r * srcRow, src + r * srcRow + len, dst + r * dstRow);
}
} // namespace

void launchCopyRef(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Flatten, Reshape, Squeeze, Unsqueeze keep the row-major order: only the dims change.
    // Compiled plans make them (and Identity, Dropout) views of their input: nothing to copy.
    if (!out[0]->sharesStorageWith(*in[0])) std::memcpy(out[0]->rawData(), in[0]->rawData(), in[0]->nbBytes());
}

void launchTransposeRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Output axis j walks input axis perm[j].
    const std::vector<std::size_t> perm = static_cast<const TransposeOp&>(op).permutation(in[0]->nbDims());
    const std::vector<std::size_t> stride = stridesOf(in[0]->dims());
    std::vector<std::ptrdiff_t> coef(perm.size());
    for (std::size_t j = 0; j < perm.size(); ++j) coef[j] = static_cast<std::ptrdiff_t>(stride[perm[j]]);
    affineGather(in[0]->data<float>(), 0, coef, out[0]->dims(), out[0]->data<float>());
}

void launchSliceRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Output index o on axis a reads input index start[a] + o·step[a].
    const SliceRange r = static_cast<const SliceOp&>(op).resolve(in[0]->dims());
    const std::vector<std::size_t> stride = stridesOf(in[0]->dims());
    std::ptrdiff_t base = 0;
    std::vector<std::ptrdiff_t> coef(stride.size());
    for (std::size_t a = 0; a < stride.size(); ++a) {
        base += static_cast<std::ptrdiff_t>(r.start[a]) * static_cast<std::ptrdiff_t>(stride[a]);
        coef[a] = static_cast<std::ptrdiff_t>(r.step[a]) * static_cast<std::ptrdiff_t>(stride[a]);
    }
    affineGather(in[0]->data<float>(), base, coef, out[0]->dims(), out[0]->data<float>());
}

void launchConcatRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const std::size_t axis = normalizeAxis(static_cast<const ConcatOp&>(op).attrs.axis, out[0]->nbDims(), "Concat");
    const AxisView y = axisView(out[0]->dims(), axis);
    std::size_t at = 0;  // where the current input starts along the axis
    for (const Tensor* x : in) {
        const std::size_t len = x->dim(axis) * y.inner;
        copyRows(x->data<float>(), len, out[0]->data<float>() + at * y.inner, y.dim * y.inner, y.outer, len);
        at += x->dim(axis);
    }
}

void launchSplitRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const std::size_t axis = normalizeAxis(static_cast<const SplitOp&>(op).attrs.axis, in[0]->nbDims(), "Split");
    const AxisView x = axisView(in[0]->dims(), axis);
    std::size_t at = 0;
    for (Tensor* y : out) {
        const std::size_t len = y->dim(axis) * x.inner;
        copyRows(in[0]->data<float>() + at * x.inner, x.dim * x.inner, y->data<float>(), len, x.outer, len);
        at += y->dim(axis);
    }
}

void launchPadRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Per axis, negative pads first crop the input to [crop, crop + len); the
    // positive pads are then filled from that cropped range (ONNX Runtime's order):
    // constant writes `value`, edge repeats the border element, reflect mirrors
    // without repeating it (pads < len, checked by the shape rule).
    const PadAttrs& a = static_cast<const PadOp&>(op).attrs;
    const bool constant = a.mode == "constant", edge = a.mode == "edge";
    const Shape& xd = in[0]->dims();
    const Shape& yd = out[0]->dims();
    const std::size_t rank = xd.size();
    const std::vector<std::size_t> stride = stridesOf(xd);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    std::vector<std::size_t> o(rank);
    for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) {
        unravel(i, yd, o);
        std::size_t off = 0;
        bool inside = true;
        for (std::size_t d = 0; d < rank; ++d) {
            const std::int64_t pb = a.pads[d], pe = a.pads[d + rank];
            const std::int64_t crop = std::max<std::int64_t>(-pb, 0);
            const std::int64_t len = static_cast<std::int64_t>(xd[d]) - crop - std::max<std::int64_t>(-pe, 0);
            // j: index in the cropped axis
            std::int64_t j = static_cast<std::int64_t>(o[d]) - std::max<std::int64_t>(pb, 0);
            if (j < 0 || j >= len) {
                if (constant) {
                    inside = false;
                    break;
                }
                j = edge ? std::clamp<std::int64_t>(j, 0, len - 1) : j < 0 ? -j : 2 * (len - 1) - j;
            }
            off += static_cast<std::size_t>(crop + j) * stride[d];
        }
        y[i] = inside ? x[off] : a.value;
    }
}

} // namespace fibnlr
