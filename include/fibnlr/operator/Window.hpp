#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// A sliding window (Conv, MaxPool, AveragePool) resolved against the
/// spatial dims of one input: every field has one value per spatial axis.
struct Window {
    Shape kernel, strides, dilations, padBegin, padEnd, inDims, outDims;
};

/// Resolves ONNX window attributes. Empty `strides`/`dilations` mean 1,
/// empty `pads` mean 0; `pads` is [begin..., end...]. `autoPad` is NOTSET,
/// VALID, SAME_UPPER or SAME_LOWER. Per axis, with extent e = (k - 1)·d + 1:
/// out = floor((in + pb + pe - e) / s) + 1 (ceil with `ceilMode`).
/// Throws std::invalid_argument when a value is out of range or the window
/// does not fit.
Window resolveWindow(const Shape& inSpatial, const std::vector<std::int64_t>& kernel,
                     const std::vector<std::int64_t>& strides, const std::vector<std::int64_t>& pads,
                     const std::vector<std::int64_t>& dilations, const std::string& autoPad, bool ceilMode = false);

/// Checks window attributes that do not depend on the input (for Operator::validate).
/// `nbSpatial` 0 means not known yet (Conv without kernel_shape): the lists
/// given must then agree with each other.
void validateWindowAttrs(std::size_t nbSpatial, const std::vector<std::int64_t>& kernel,
                         const std::vector<std::int64_t>& strides, const std::vector<std::int64_t>& pads,
                         const std::vector<std::int64_t>& dilations, const std::string& autoPad);

} // namespace fibnlr
