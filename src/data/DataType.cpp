#include "fibnlr/data/DataType.hpp"

namespace fibnlr {

std::size_t sizeOf(DataType type) {
    switch (type) {
    case DataType::Float32: return 4;
    case DataType::Int64: return 8;
    }
    return 0;
}

std::string toString(DataType type) {
    switch (type) {
    case DataType::Float32: return "float32";
    case DataType::Int64: return "int64";
    }
    return "unknown";
}

} // namespace fibnlr
