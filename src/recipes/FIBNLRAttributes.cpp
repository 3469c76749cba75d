#include "fibnlr/recipes/FIBNLRAttributes.hpp"

#include <sstream>
#include <stdexcept>

namespace fibnlr {

namespace {
std::string fmt(double v) {
    std::ostringstream s;
    s.precision(6);
    s << v;
    return s.str();
}
} // namespace

bool NPR::operator<(const NPR& o) const {
    const double a = value(), b = o.value();
    if (a != b) return a < b;
    if (neg != o.neg) return neg < o.neg;
    if (pos != o.pos) return pos < o.pos;
    return nonFinite < o.nonFinite;
}

std::string NPR::repr() const {
    std::string s = "NPR(neg=" + fmt(neg) + ", pos=" + fmt(pos) + ", value=" + fmt(value());
    if (nonFinite) s += ", non_finite=" + std::to_string(nonFinite);
    return s + ")";
}

std::string NNPR::repr() const { return "NNPR(" + fmt(value) + ")"; }

void ActivityTracker::add(const std::uint8_t* alive, std::size_t channels) {
    if (neurons.empty()) neurons.assign(channels, true);
    if (neurons.size() != channels)
        throw std::invalid_argument("ActivityTracker: input has " + std::to_string(channels) +
                                    " channels, expected " + std::to_string(neurons.size()));
    for (std::size_t c = 0; c < channels; ++c)
        if (alive[c]) neurons[c] = false;
}

std::size_t ActivityTracker::countDeadNeurons() const {
    std::size_t n = 0;
    for (bool dead : neurons) n += dead ? 1 : 0;
    return n;
}

std::string ActivityTracker::repr() const {
    return "ActivityTracker(dead=" + std::to_string(countDeadNeurons()) + "/" + std::to_string(neurons.size()) + ")";
}

std::string Group::repr() const { return "Group(" + std::to_string(id) + ")"; }

} // namespace fibnlr
