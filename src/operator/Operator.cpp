#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

std::size_t Operator::inputIndex(const std::string& name) const {
    const auto& specs = inputSpecs();
    for (std::size_t i = 0; i < specs.size(); ++i)
        if (specs[i].name == name) return i;
    throw std::invalid_argument(type() + " has no input named '" + name + "'");
}

AttrValue Operator::getAttribute(const std::string& name) const {
    for (auto& kv : attributes())
        if (kv.first == name) return kv.second;
    throw std::invalid_argument(type() + " has no attribute '" + name + "'");
}

bool Operator::hasAttribute(const std::string& name) const {
    for (auto& kv : attributes())
        if (kv.first == name) return true;
    return false;
}

std::string Operator::toString() const {
    std::string s = type() + "(";
    bool first = true;
    for (auto& kv : attributes()) {
        s += (first ? "" : ", ") + kv.first + "=" + fibnlr::toString(kv.second);
        first = false;
    }
    return s + ")";
}

bool Operator::sameAttributes(const Operator& other) const {
    return type() == other.type() && attributes() == other.attributes();
}

} // namespace fibnlr
