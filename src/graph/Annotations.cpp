#include "fibnlr/graph/Annotations.hpp"

namespace fibnlr {

Annotations::Annotations(const Annotations& other) { *this = other; }

Annotations& Annotations::operator=(const Annotations& other) {
    if (this == &other) return *this;
    mEntries = other.mEntries;
    for (auto& kv : mEntries)
        if (kv.second.copy) kv.second.value = kv.second.copy(kv.second.value);
    return *this;
}

std::vector<std::string> Annotations::keys() const {
    std::vector<std::string> out;
    for (const auto& kv : mEntries) out.push_back(kv.first);
    return out;
}

const Annotations::Entry* Annotations::entry(const std::string& key) const {
    auto it = mEntries.find(key);
    return it == mEntries.end() ? nullptr : &it->second;
}

} // namespace fibnlr
