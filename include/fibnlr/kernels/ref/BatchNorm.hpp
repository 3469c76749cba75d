#pragma once
#include <cstddef>

namespace fibnlr {

/// x and y are [batch, channels, inner], inner = product of the dims after the channel dim.
struct BatchNormParams {
    std::size_t batch = 1, channels = 1, inner = 1;
    float epsilon = 1e-5f;
};

/// Inference BatchNormalization per channel c:
/// y = (x − mean[c]) · scale[c] / sqrt(var[c] + epsilon) + bias[c], in double. y may alias x.
void batchnorm_f32_ref(const BatchNormParams& p, const float* x, const float* scale, const float* bias,
                       const float* mean, const float* var, float* y);

} // namespace fibnlr
