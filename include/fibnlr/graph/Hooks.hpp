#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

class Node;

/// Called with a node and its first data input, just before the node runs.
using InputHook = std::function<void(const Node& node, const Tensor& input)>;

/// The optional fused form of an input hook that only needs sign statistics
/// of the node's input x (viewed as [N, C, inner], C = dim 1, or C = 1 for a
/// rank < 2 input): Σ|x| over finite x < 0 (neg), Σ x over finite x > 0 (pos),
/// the number of NaN/±Inf values, and per channel whether some x > 0.
/// When every hook on a node has this form and the node was fused into the
/// producer of its input, the scheduler accumulates these statistics in the
/// producer's epilogue instead of handing the hook the finished tensor, so
/// measuring reads no extra memory.
struct SignStatsHook {
    /// Whether statistics are wanted for this run (false: nothing is computed).
    std::function<bool(const Node& node)> active;
    std::function<void(const Node& node, double neg, double pos, std::uint64_t nonFinite, const std::uint8_t* alive,
                       std::size_t channels)>
        add;
    explicit operator bool() const { return active && add; }
};

/// Per-node input hooks, keyed by owner ("fibnlr.measure") so that a recipe
/// that installs its hooks again replaces them instead of adding copies.
class Hooks {
public:
    void set(const std::string& key, const Node* node, InputHook hook, SignStatsHook stats = {}) {
        mHooks[key][node] = Entry{std::move(hook), std::move(stats)};
    }
    void removeAll(const std::string& key) { mHooks.erase(key); }
    void remove(const Node* node) {
        for (auto& kv : mHooks) kv.second.erase(node);
    }
    std::size_t count(const std::string& key) const {
        auto it = mHooks.find(key);
        return it == mHooks.end() ? 0 : it->second.size();
    }
    bool empty() const { return mHooks.empty(); }
    /// True when some hook is installed on `node`.
    bool has(const Node* node) const {
        for (const auto& kv : mHooks)
            if (kv.second.count(node)) return true;
        return false;
    }
    /// Runs every hook installed on `node`.
    void run(const Node& node, const Tensor& input) const {
        for (const auto& kv : mHooks) {
            auto it = kv.second.find(&node);
            if (it != kv.second.end()) it->second.hook(node, input);
        }
    }
    /// True when `node` has hooks and every one of them has a SignStatsHook form.
    bool allSignStats(const Node* node) const {
        bool any = false;
        for (const auto& kv : mHooks) {
            auto it = kv.second.find(node);
            if (it == kv.second.end()) continue;
            if (!it->second.stats) return false;
            any = true;
        }
        return any;
    }
    /// True when some SignStatsHook on `node` wants statistics now.
    bool signStatsActive(const Node& node) const {
        for (const auto& kv : mHooks) {
            auto it = kv.second.find(&node);
            if (it != kv.second.end() && it->second.stats && it->second.stats.active(node)) return true;
        }
        return false;
    }
    /// Hands the statistics of one run to every active SignStatsHook on `node`.
    void addSignStats(const Node& node, double neg, double pos, std::uint64_t nonFinite, const std::uint8_t* alive,
                      std::size_t channels) const {
        for (const auto& kv : mHooks) {
            auto it = kv.second.find(&node);
            if (it != kv.second.end() && it->second.stats && it->second.stats.active(node))
                it->second.stats.add(node, neg, pos, nonFinite, alive, channels);
        }
    }

private:
    struct Entry {
        InputHook hook;
        SignStatsHook stats;
    };
    std::map<std::string, std::map<const Node*, Entry>> mHooks;
};

} // namespace fibnlr
