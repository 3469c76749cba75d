#include "fibnlr/operator/Window.hpp"

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
std::string listStr(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}
} // namespace

void validateWindowAttrs(std::size_t n, const std::vector<std::int64_t>& kernel,
                         const std::vector<std::int64_t>& strides, const std::vector<std::int64_t>& pads,
                         const std::vector<std::int64_t>& dilations, const std::string& autoPad) {
    if (n == 0) n = !strides.empty() ? strides.size() : !dilations.empty() ? dilations.size() : (pads.size() + 1) / 2;
    require(kernel.empty() || kernel.size() == n,
            "kernel_shape " + listStr(kernel) + " must have " + std::to_string(n) + " values");
    for (auto k : kernel) require(k >= 1, "kernel_shape " + listStr(kernel) + " must be positive");
    require(strides.empty() || strides.size() == n,
            "strides " + listStr(strides) + " must have " + std::to_string(n) + " values");
    for (auto s : strides) require(s >= 1, "strides " + listStr(strides) + " must be >= 1");
    require(dilations.empty() || dilations.size() == n,
            "dilations " + listStr(dilations) + " must have " + std::to_string(n) + " values");
    for (auto d : dilations) require(d >= 1, "dilations " + listStr(dilations) + " must be >= 1");
    require(pads.empty() || pads.size() == 2 * n,
            "pads " + listStr(pads) + " must have " + std::to_string(2 * n) + " values (begins then ends)");
    for (auto p : pads) require(p >= 0, "pads " + listStr(pads) + " must be >= 0");
    require(autoPad == "NOTSET" || autoPad == "VALID" || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER",
            "auto_pad '" + autoPad + "' must be NOTSET, VALID, SAME_UPPER or SAME_LOWER");
}

Window resolveWindow(const Shape& in, const std::vector<std::int64_t>& kernel,
                     const std::vector<std::int64_t>& strides, const std::vector<std::int64_t>& pads,
                     const std::vector<std::int64_t>& dilations, const std::string& autoPad, bool ceilMode) {
    const std::size_t n = in.size();
    validateWindowAttrs(n, kernel, strides, pads, dilations, autoPad);
    require(kernel.size() == n, "kernel_shape " + listStr(kernel) + " does not match " + std::to_string(n) +
                                    " spatial dims " + toString(in));
    Window w;
    w.inDims = in;
    // Attributes are arbitrary int64s from the model: every sum and product is
    // checked, so a huge kernel, dilation or pad is refused instead of wrapping
    // to a small output size that kernels would then overrun.
    Shape padded(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(kernel[i]);
        const std::size_t s = strides.empty() ? 1 : static_cast<std::size_t>(strides[i]);
        const std::size_t d = dilations.empty() ? 1 : static_cast<std::size_t>(dilations[i]);
        const std::size_t e = checkedAdd(checkedMul(k - 1, d, "window extent (kernel - 1) * dilation"), 1,
                                         "window extent");
        std::size_t pb = pads.empty() ? 0 : static_cast<std::size_t>(pads[i]);
        std::size_t pe = pads.empty() ? 0 : static_cast<std::size_t>(pads[i + n]);
        if (autoPad == "VALID") {
            pb = pe = 0;
        } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            const std::size_t out = in[i] == 0 ? 0 : (in[i] - 1) / s + 1;  // ceil(in / s) without in + s - 1
            const std::size_t needed =
                out == 0 ? e : checkedAdd(checkedMul(out - 1, s, "SAME padding"), e, "SAME padding");
            const std::size_t total = needed > in[i] ? needed - in[i] : 0;
            pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pe = total - pb;
        }
        padded[i] = checkedAdd(checkedAdd(in[i], pb, "padded size"), pe, "padded size");
        require(padded[i] >= e, "window of extent " + std::to_string(e) + " (kernel " + std::to_string(k) +
                                    ", dilation " + std::to_string(d) + ") does not fit spatial size " +
                                    std::to_string(in[i]) + " with pads " + std::to_string(pb) + "+" +
                                    std::to_string(pe) + " on axis " + std::to_string(i));
        const std::size_t span = padded[i] - e;
        std::size_t out = span / s + (ceilMode && span % s != 0 ? 1 : 0) + 1;
        // ONNX/PyTorch ceil mode: the last window must start inside the padded-begin input.
        if (ceilMode && checkedMul(out - 1, s, "ceil-mode window start") >= in[i] + pb) --out;
        w.kernel.push_back(k);
        w.strides.push_back(s);
        w.dilations.push_back(d);
        w.padBegin.push_back(pb);
        w.padEnd.push_back(pe);
        w.outDims.push_back(out);
    }
    // Kernels may materialise one padded plane: it must be a tensor we could allocate.
    const std::size_t plane = checkedProduct(padded, "padded spatial size");
    require(plane <= kMaxTensorElements, "padded spatial size " + toString(padded) + " has " + std::to_string(plane) +
                                             " elements, more than " + std::to_string(kMaxTensorElements));
    return w;
}

} // namespace fibnlr
