#pragma once
// The per-node attributes of the FIBNLR recipe and their typed helpers. They
// live in the node's annotations under namespaced keys ("fibnlr.npr", ...).
#include <cfloat>
#include <cmath>
#include <limits>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fibnlr/graph/Node.hpp"

namespace fibnlr {

/// Negative-to-positive ratio of a node's input mass, accumulated over batches.
struct NPR {
    double neg = 0.0;  ///< Σ |x| over x < 0 (finite values only)
    double pos = 0.0;  ///< Σ x over x > 0 (finite values only)
    /// Number of NaN / ±Inf input values seen; they are in neither mass.
    std::uint64_t nonFinite = 0;

    static constexpr const char* key = "fibnlr.npr";
    /// Adds masses measured on one batch.
    void add(double negMass, double posMass) {
        neg += negMass;
        pos += posMass;
    }
    /// (neg + ε) / (pos + ε) with ε = DBL_EPSILON; 1.0 when nothing was measured.
    double value() const { return (neg + DBL_EPSILON) / (pos + DBL_EPSILON); }
    bool operator==(const NPR& o) const { return neg == o.neg && pos == o.pos && nonFinite == o.nonFinite; }
    bool operator!=(const NPR& o) const { return !(*this == o); }
    /// Ordered by value(), ties by (neg, pos).
    bool operator<(const NPR& o) const;
    std::string repr() const;
};

/// NPR normalised within the node's group (see computeNNPR). NaN means "not
/// computed yet": prepare attaches it so, and prune refuses to select by it.
struct NNPR {
    double value = std::numeric_limits<double>::quiet_NaN();
    static constexpr const char* key = "fibnlr.nnpr";
    bool computed() const { return !std::isnan(value); }
    /// Two NNPRs not computed yet are equal (NaN == NaN here).
    bool operator==(const NNPR& o) const { return value == o.value || (!computed() && !o.computed()); }
    bool operator!=(const NNPR& o) const { return !(*this == o); }
    bool operator<(const NNPR& o) const { return value < o.value; }
    std::string repr() const;
};

/// Which channels (dimension 1 of the node's input) never had a value > 0.
struct ActivityTracker {
    /// One flag per channel, true = dead (no value > 0 seen yet). Empty
    /// until the first measurement sizes it.
    std::vector<bool> neurons;
    static constexpr const char* key = "fibnlr.activity";
    /// Marks channel c alive when alive[c] != 0; sizes `neurons` on first use
    /// (all dead). Throws std::invalid_argument when the channel count changes.
    void add(const std::uint8_t* alive, std::size_t channels);
    bool isDead(std::size_t channel) const { return neurons.at(channel); }
    std::size_t countDeadNeurons() const;
    bool operator==(const ActivityTracker& o) const { return neurons == o.neurons; }
    bool operator!=(const ActivityTracker& o) const { return !(*this == o); }
    bool operator<(const ActivityTracker& o) const { return neurons < o.neurons; }
    std::string repr() const;
};

/// The group a node is normalised in (same feature-map size by default).
struct Group {
    std::int64_t id = 0;
    static constexpr const char* key = "fibnlr.group";
    bool operator==(const Group& o) const { return id == o.id; }
    bool operator!=(const Group& o) const { return !(*this == o); }
    bool operator<(const Group& o) const { return id < o.id; }
    std::string repr() const;
};

/// Typed helpers over a node's annotations, T one of NPR, NNPR,
/// ActivityTracker, Group. get() returns a live reference (the stored object).
template <class T> T& add(Node& node) { return node.annotations().set<T>(T::key, T{}); }
template <class T> T& set(Node& node, T value) { return node.annotations().set<T>(T::key, std::move(value)); }
template <class T> bool has(const Node& node) { return node.annotations().tryGet<T>(T::key) != nullptr; }
/// Throws std::invalid_argument naming the node when the attribute is absent.
template <class T> T& get(const Node& node) {
    T* p = node.annotations().tryGet<T>(T::key);
    if (!p) throw std::invalid_argument(describe(node) + " has no attribute '" + T::key + "' (call prepare first)");
    return *p;
}
/// nullptr when absent.
template <class T> T* tryGet(const Node& node) { return node.annotations().tryGet<T>(T::key); }

} // namespace fibnlr
