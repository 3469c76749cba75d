#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fibnlr {

/// Strict: a group of one node gets NNPR 1.0. Loose: it keeps its raw value.
enum class Method { Strict, Loose };
/// How NPR is normalised into NNPR within a group.
enum class NormalizationMethod { None, MinMax, Sum, Average };
/// How nodes are grouped: all in group 0, by input feature-map size (H·W), or by name.
enum class GroupMethod { None, ImageSize, Manual };
/// Which nodes are selected: none, the X lowest NNPR of each group below the threshold, or all below it.
enum class AblationCriteria { None, XLeastPerGroup, Threshold };
/// What happens to selected nodes: nothing, replaced by Identity, removed.
enum class AblationMethod { None, Identity, Remove };

/// Number of enumerators of each enum (values 0..count-1), for range checks
/// of values that arrive as integers (bindings, files).
constexpr int kMethodCount = 2, kNormalizationMethodCount = 4, kGroupMethodCount = 3, kAblationCriteriaCount = 3,
              kAblationMethodCount = 3;

std::string toString(Method m);
std::string toString(NormalizationMethod m);
std::string toString(GroupMethod m);
std::string toString(AblationCriteria m);
std::string toString(AblationMethod m);

/// The FIBNLR parameter set; defaults as upstream, except node_types, which
/// upstream limits to ReLU, LeakyReLU and GELU.
struct FIBNLRParameters {
    Method method = Method::Strict;
    NormalizationMethod normalization = NormalizationMethod::Sum;
    GroupMethod group = GroupMethod::ImageSize;
    AblationCriteria ablationCriteria = AblationCriteria::Threshold;
    AblationMethod ablationMethod = AblationMethod::Identity;
    double ablationThreshold = 0.25;
    std::int64_t ablationXLeast = 1;
    std::int64_t maxIteration = 100;  ///< 0 = no limit
    double convergenceThreshold = 1e-5;
    std::map<std::string, std::int64_t> groupAssignments;  ///< node name -> group id (GroupMethod::Manual)
    /// Operator types prepare() selects: by default every rectifier-like
    /// activation. Spellings that differ only in case are the same type, so
    /// ONNX's ("Relu", "LeakyRelu", "Gelu") work; a name that is no operator
    /// type at all is refused by validate().
    std::vector<std::string> nodeTypes{"ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU",
                                       "GELU", "SiLU", "Mish", "Softplus"};

    /// Strict, None, None, None, None (other fields at their defaults).
    static FIBNLRParameters none();
    /// The paper's measurement setting: Loose, Average, Manual, criteria None,
    /// Identity. With criteria None it selects nothing, so on its own it
    /// prunes nothing: set ablationCriteria (and groupAssignments) to prune.
    static FIBNLRParameters paper();

    /// Throws std::invalid_argument naming the field, the value and what was
    /// expected (an enum value out of range, negative or NaN thresholds, x_least < 1 with XLeastPerGroup
    /// or < 0, max_iteration < 0, empty node_types).
    void validate() const;
    std::string repr() const;
    bool operator==(const FIBNLRParameters& o) const;
};

/// Whether two operator type names are the same type (case-insensitive: "Relu" is "ReLU").
bool sameNodeType(const std::string& a, const std::string& b);

} // namespace fibnlr
