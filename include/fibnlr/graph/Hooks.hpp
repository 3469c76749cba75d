#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

class Node;

/// Called with a node and its first data input, just before the node runs.
using InputHook = std::function<void(const Node& node, const Tensor& input)>;

/// Per-node input hooks, keyed by owner ("fibnlr.measure") so that a recipe
/// that installs its hooks again replaces them instead of adding copies.
class Hooks {
public:
    void set(const std::string& key, const Node* node, InputHook hook) { mHooks[key][node] = std::move(hook); }
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
            if (it != kv.second.end()) it->second(node, input);
        }
    }

private:
    std::map<std::string, std::map<const Node*, InputHook>> mHooks;
};

} // namespace fibnlr
