#pragma once
#include <string>
#include <vector>

#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Every operator type the core knows, in one list (operator/OperatorList.cpp).
const std::vector<std::string>& operatorTypes();

/// A new operator of type `type` with the given attributes and, for variadic
/// operators, `nbInputs` inputs (0 = the operator's default). Throws
/// std::invalid_argument for an unknown type, attribute or value.
OperatorPtr makeOperator(const std::string& type, const AttrList& attrs = {}, std::size_t nbInputs = 0);

} // namespace fibnlr
