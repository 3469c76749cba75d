#include "fibnlr/recipes/FIBNLRParameters.hpp"

#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/OperatorList.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace fibnlr {

std::string toString(Method m) { return m == Method::Strict ? "STRICT" : "LOOSE"; }
std::string toString(NormalizationMethod m) {
    switch (m) {
    case NormalizationMethod::None: return "NONE";
    case NormalizationMethod::MinMax: return "MIN_MAX";
    case NormalizationMethod::Sum: return "SUM";
    case NormalizationMethod::Average: return "AVERAGE";
    }
    return "?";
}
std::string toString(GroupMethod m) {
    switch (m) {
    case GroupMethod::None: return "NONE";
    case GroupMethod::ImageSize: return "IMAGE_SIZE";
    case GroupMethod::Manual: return "MANUAL";
    }
    return "?";
}
std::string toString(AblationCriteria m) {
    switch (m) {
    case AblationCriteria::None: return "NONE";
    case AblationCriteria::XLeastPerGroup: return "X_LEAST_PER_GROUP";
    case AblationCriteria::Threshold: return "THRESHOLD";
    }
    return "?";
}
std::string toString(AblationMethod m) {
    switch (m) {
    case AblationMethod::None: return "NONE";
    case AblationMethod::Identity: return "IDENTITY";
    case AblationMethod::Remove: return "REMOVE";
    }
    return "?";
}

FIBNLRParameters FIBNLRParameters::none() {
    FIBNLRParameters p;
    p.method = Method::Strict;
    p.normalization = NormalizationMethod::None;
    p.group = GroupMethod::None;
    p.ablationCriteria = AblationCriteria::None;
    p.ablationMethod = AblationMethod::None;
    return p;
}

FIBNLRParameters FIBNLRParameters::paper() {
    FIBNLRParameters p;
    p.method = Method::Loose;
    p.normalization = NormalizationMethod::Average;
    p.group = GroupMethod::Manual;
    p.ablationCriteria = AblationCriteria::None;
    p.ablationMethod = AblationMethod::Identity;
    return p;
}

namespace {
std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}
} // namespace

namespace {
/// Throws when `value` (an enum read from an integer somewhere) is not one of
/// its `count` enumerators 0..count-1, which toString lists.
template <class E> void checkEnum(const char* field, E value, int count) {
    const int v = static_cast<int>(value);
    if (v >= 0 && v < count) return;
    std::string names;
    for (int i = 0; i < count; ++i) names += (i ? ", " : "") + toString(static_cast<E>(i)) + " (" + std::to_string(i) + ")";
    throw std::invalid_argument(std::string("FIBNLR parameters: ") + field + " is " + std::to_string(v) +
                                ", expected one of " + names);
}
} // namespace

void FIBNLRParameters::validate() const {
    checkEnum("method", method, kMethodCount);
    checkEnum("normalization", normalization, kNormalizationMethodCount);
    checkEnum("group", group, kGroupMethodCount);
    checkEnum("ablation_criteria", ablationCriteria, kAblationCriteriaCount);
    checkEnum("ablation_method", ablationMethod, kAblationMethodCount);
    if (std::isnan(ablationThreshold) || ablationThreshold < 0)
        throw std::invalid_argument("FIBNLR parameters: ablation_threshold is " + num(ablationThreshold) +
                                    ", expected a number >= 0");
    if (std::isnan(convergenceThreshold) || convergenceThreshold < 0)
        throw std::invalid_argument("FIBNLR parameters: convergence_threshold is " + num(convergenceThreshold) +
                                    ", expected a number >= 0");
    if (ablationXLeast < 0 || (ablationXLeast < 1 && ablationCriteria == AblationCriteria::XLeastPerGroup))
        throw std::invalid_argument("FIBNLR parameters: ablation_x_least is " + std::to_string(ablationXLeast) +
                                    ", expected >= 1" +
                                    (ablationCriteria == AblationCriteria::XLeastPerGroup
                                         ? std::string(" with ablation_criteria X_LEAST_PER_GROUP")
                                         : std::string()));
    if (maxIteration < 0)
        throw std::invalid_argument("FIBNLR parameters: max_iteration is " + std::to_string(maxIteration) +
                                    ", expected >= 0 (0 = no limit)");
    if (nodeTypes.empty())
        throw std::invalid_argument("FIBNLR parameters: node_types is empty, expected at least one operator type");
    for (const std::string& t : nodeTypes) {
        const auto& known = operatorTypes();
        if (std::any_of(known.begin(), known.end(), [&](const std::string& k) { return sameNodeType(k, t); })) continue;
        std::string acts;
        for (const std::string& a : activationTypes()) acts += (acts.empty() ? "" : ", ") + a;
        throw std::invalid_argument("FIBNLR parameters: node_types holds '" + t +
                                    "', which is no operator type; expected one of the activations " + acts);
    }
}

bool sameNodeType(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string FIBNLRParameters::repr() const {
    std::ostringstream s;
    s << "fibnlr_Parameters(method=" << toString(method) << ", normalization=" << toString(normalization)
      << ", group=" << toString(group) << ", ablation_criteria=" << toString(ablationCriteria)
      << ", ablation_method=" << toString(ablationMethod) << ", ablation_threshold=" << ablationThreshold
      << ", ablation_x_least=" << ablationXLeast << ", max_iteration=" << maxIteration
      << ", convergence_threshold=" << convergenceThreshold << ", group_assignments={";
    bool first = true;
    for (const auto& kv : groupAssignments) {
        s << (first ? "" : ", ") << "'" << kv.first << "': " << kv.second;
        first = false;
    }
    s << "}, node_types=[";
    for (std::size_t i = 0; i < nodeTypes.size(); ++i) s << (i ? ", " : "") << "'" << nodeTypes[i] << "'";
    s << "])";
    return s.str();
}

bool FIBNLRParameters::operator==(const FIBNLRParameters& o) const {
    return method == o.method && normalization == o.normalization && group == o.group &&
           ablationCriteria == o.ablationCriteria && ablationMethod == o.ablationMethod &&
           ablationThreshold == o.ablationThreshold && ablationXLeast == o.ablationXLeast &&
           maxIteration == o.maxIteration && convergenceThreshold == o.convergenceThreshold &&
           groupAssignments == o.groupAssignments && nodeTypes == o.nodeTypes;
}

} // namespace fibnlr
