#include "fibnlr/operator/Activation.hpp"

#include <cmath>

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

void ReLUOp::validate() const {}
void LeakyReLUOp::validate() const {
    require(std::isfinite(attrs.alpha), "alpha " + std::to_string(attrs.alpha) + " must be finite");
}
void GELUOp::validate() const {
    require(attrs.approximate == "none" || attrs.approximate == "tanh",
            "approximate '" + attrs.approximate + "' must be 'none' or 'tanh'");
}
void ClipOp::validate() const {
    require(!(attrs.min > attrs.max), "min " + std::to_string(attrs.min) + " must be <= max " + std::to_string(attrs.max));
}
void SigmoidOp::validate() const {}
void HardSigmoidOp::validate() const {
    require(std::isfinite(attrs.alpha) && std::isfinite(attrs.beta), "alpha and beta must be finite");
}
void HardSwishOp::validate() const {}
void TanhOp::validate() const {}
void IdentityOp::validate() const {}
void DropoutOp::validate() const {
    require(attrs.ratio >= 0.f && attrs.ratio < 1.f, "ratio " + std::to_string(attrs.ratio) + " must be in [0, 1)");
}

} // namespace fibnlr
