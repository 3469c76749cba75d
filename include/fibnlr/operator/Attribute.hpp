#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace fibnlr {

/// The value types an operator attribute can take; they map one to one onto
/// ONNX attribute types (INT, FLOAT, STRING, INTS, FLOATS) and Python values.
using AttrValue = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>, std::vector<float>>;
using AttrList = std::vector<std::pair<std::string, AttrValue>>;

std::string toString(const AttrValue& value);

/// Converts `value` into `field`, accepting int for float and empty lists for
/// either list type. Returns false when the types cannot match.
bool assignAttr(std::int64_t& field, const AttrValue& value);
bool assignAttr(float& field, const AttrValue& value);
bool assignAttr(std::string& field, const AttrValue& value);
bool assignAttr(std::vector<std::int64_t>& field, const AttrValue& value);
bool assignAttr(std::vector<float>& field, const AttrValue& value);

} // namespace fibnlr
