#include "fibnlr/operator/ShapeCheck.hpp"

#include <algorithm>

namespace fibnlr {

std::size_t normalizeAxis(std::int64_t axis, std::size_t rank, const std::string& what) {
    const auto r = static_cast<std::int64_t>(rank);
    require(axis >= -r && axis < r,
            what + " axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

Shape broadcastShapes(const Shape& a, const Shape& b) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        require(da == db || da == 1 || db == 1,
                "shapes " + toString(a) + " and " + toString(b) + " do not broadcast");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

} // namespace fibnlr
