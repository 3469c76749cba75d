#pragma once
#include <cmath>
#include <string>

namespace fibnlr {

/// Scalar definitions of the element-wise activations, shared by the ref
/// kernels and, as the oracle, by tests of fast kernels. NaN goes through
/// every one of them as ONNX says (max(0, NaN) is NaN): comparisons are
/// written so that NaN fails them and falls to the "return x" branch.
inline float reluRef(float x) { return x < 0.f ? 0.f : x; }
inline float leakyReluRef(float x, float alpha) { return x >= 0.f ? x : alpha * x; }
inline float geluRef(float x) { return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))); }
inline float geluTanhRef(float x) {
    const double c = std::sqrt(2.0 / 3.14159265358979323846);
    return static_cast<float>(0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x))));
}
inline float clipRef(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
inline float sigmoidRef(float x) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))); }
inline float hardSigmoidRef(float x, float alpha, float beta) { return clipRef(alpha * x + beta, 0.f, 1.f); }
inline float hardSwishRef(float x) { return x * hardSigmoidRef(x, 1.f / 6.f, 0.5f); }

} // namespace fibnlr
