#pragma once
#include <cstddef>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// Buffer planning of a compiled plan: values (step outputs) with their size
/// and the last step that reads them share a few slots, like registers.
struct MemoryValue {
    std::size_t floats = 0;
    std::size_t def = 0;      ///< step that writes it
    std::size_t lastUse = 0;  ///< last step that reads it (SIZE_MAX: a graph output)
    /// A value whose slot this one may take at step `def` (in place, or a
    /// zero-copy view for Reshape-like steps); SIZE_MAX: none.
    std::size_t shareWith = SIZE_MAX;
    bool view = false;  ///< true: the step only relabels dims (Reshape): share even if the source lives on
};
struct MemoryPlan {
    std::vector<std::size_t> slotOf;      ///< per value
    std::vector<std::size_t> slotFloats;  ///< per slot
};
/// Greedy best-fit in step order: a slot is free once every value in it was
/// last read; values are assigned in order of `def`.
MemoryPlan planMemory(const std::vector<MemoryValue>& values);

} // namespace fibnlr
