#pragma once
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

struct ResidualFold {
    std::string add;         ///< the Add removed
    std::string conv;        ///< the conv that absorbed the skip
    std::string skip;        ///< "identity" or "projection"
    std::string projection;  ///< the 1x1 projection conv removed (projection skips)
    std::string newNode;
};

/// Folds residual skips into the conv they bypass.
///
/// Pattern: Add(conv(x), x) (identity skip) or Add(conv(x), proj(x)) with
/// proj a 1x1 conv without padding (projection skip; fold its BN first), in
/// either operand order, where conv is one layer (after merge_convolutions,
/// a whole span whose non-linearities are gone) used only by the Add.
/// Conditions: constant weights; conv output size equals the skip's (pads
/// summing to extent - 1, stride 1 for identity, the projection's stride
/// otherwise) and a tap t with t·dilation = pad begin; identity: in channels
/// = out channels (any group); projection: group 1, same channels.
/// Maths: identity W[o, o, t] += 1; projection W[o, c, t] += Wp[o, c], B += Bp.
/// The new conv keeps the conv's name and takes over the Add's output.
/// Where an activation remains inside the span, the span is not one conv and
/// the skip stays. Returns the folds done.
std::vector<ResidualFold> foldResidual(GraphView& graph);

} // namespace fibnlr
