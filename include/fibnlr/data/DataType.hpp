#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fibnlr {

/// Element types a Tensor can hold. Float32 is the compute type; Int64 carries
/// shapes and indices (ONNX Reshape shapes, Gather indices) as constants.
enum class DataType { Float32, Int64 };

std::size_t sizeOf(DataType type);
std::string toString(DataType type);

template <class T> constexpr DataType dataTypeOf();
template <> constexpr DataType dataTypeOf<float>() { return DataType::Float32; }
template <> constexpr DataType dataTypeOf<std::int64_t>() { return DataType::Int64; }

} // namespace fibnlr
