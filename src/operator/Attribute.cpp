#include "fibnlr/operator/Attribute.hpp"

#include <sstream>

namespace fibnlr {

namespace {
template <class T> std::string listToString(const std::vector<T>& v) {
    std::ostringstream s;
    s << "[";
    for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << "]";
    return s.str();
}
} // namespace

std::string toString(const AttrValue& value) {
    struct Printer {
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(float v) const {
            std::ostringstream s;
            s << v;
            return s.str();
        }
        std::string operator()(const std::string& v) const { return "'" + v + "'"; }
        std::string operator()(const std::vector<std::int64_t>& v) const { return listToString(v); }
        std::string operator()(const std::vector<float>& v) const { return listToString(v); }
    };
    return std::visit(Printer{}, value);
}

bool assignAttr(std::int64_t& field, const AttrValue& value) {
    if (auto p = std::get_if<std::int64_t>(&value)) return field = *p, true;
    return false;
}

bool assignAttr(float& field, const AttrValue& value) {
    if (auto p = std::get_if<float>(&value)) return field = *p, true;
    if (auto p = std::get_if<std::int64_t>(&value)) return field = static_cast<float>(*p), true;
    return false;
}

bool assignAttr(std::string& field, const AttrValue& value) {
    if (auto p = std::get_if<std::string>(&value)) return field = *p, true;
    return false;
}

bool assignAttr(std::vector<std::int64_t>& field, const AttrValue& value) {
    if (auto p = std::get_if<std::vector<std::int64_t>>(&value)) return field = *p, true;
    if (auto p = std::get_if<std::vector<float>>(&value); p && p->empty()) return field.clear(), true;
    return false;
}

bool assignAttr(std::vector<float>& field, const AttrValue& value) {
    if (auto p = std::get_if<std::vector<float>>(&value)) return field = *p, true;
    if (auto p = std::get_if<std::vector<std::int64_t>>(&value)) {
        field.assign(p->begin(), p->end());
        return true;
    }
    return false;
}

} // namespace fibnlr
