#pragma once
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <vector>

namespace fibnlr {

/// A node's typed key -> value store (FIBNLR keeps NPR, NNPR, ActivityTracker
/// and Group here under namespaced keys such as "fibnlr.npr").
///
/// Values are held by shared_ptr so a reference handed out (to C++ or to
/// Python) stays valid and live: setting a key that already holds a value of
/// the same type assigns in place instead of replacing the object.
class Annotations {
public:
    struct Entry {
        std::shared_ptr<void> value;
        std::type_index type = typeid(void);
        /// Copies the value (null: copies share it, as for opaque foreign objects).
        std::shared_ptr<void> (*copy)(const std::shared_ptr<void>&) = nullptr;
    };

    Annotations() = default;
    /// Copies hold copies of the values, not the same objects.
    Annotations(const Annotations& other);
    Annotations& operator=(const Annotations& other);
    Annotations(Annotations&&) = default;
    Annotations& operator=(Annotations&&) = default;

    template <class T> T& set(const std::string& key, T value) {
        auto it = mEntries.find(key);
        if (it != mEntries.end() && it->second.type == typeid(T)) {
            T& slot = *static_cast<T*>(it->second.value.get());
            slot = std::move(value);
            return slot;
        }
        auto ptr = std::make_shared<T>(std::move(value));
        mEntries[key] = Entry{ptr, typeid(T), [](const std::shared_ptr<void>& p) -> std::shared_ptr<void> {
                                  return std::make_shared<T>(*static_cast<const T*>(p.get()));
                              }};
        return *ptr;
    }
    /// nullptr when the key is absent or holds another type.
    template <class T> T* tryGet(const std::string& key) const {
        auto ptr = tryGetShared<T>(key);
        return ptr.get();
    }
    template <class T> std::shared_ptr<T> tryGetShared(const std::string& key) const {
        auto it = mEntries.find(key);
        if (it == mEntries.end() || it->second.type != typeid(T)) return nullptr;
        return std::static_pointer_cast<T>(it->second.value);
    }
    template <class T> T& get(const std::string& key) const {
        T* p = tryGet<T>(key);
        if (!p)
            throw std::invalid_argument("annotation '" + key + "' " +
                                        (has(key) ? "holds another type" : "is not set"));
        return *p;
    }
    bool has(const std::string& key) const { return mEntries.count(key) != 0; }
    bool erase(const std::string& key) { return mEntries.erase(key) != 0; }
    void clear() { mEntries.clear(); }
    std::vector<std::string> keys() const;
    /// Untyped access for language bindings.
    const Entry* entry(const std::string& key) const;
    void setEntry(const std::string& key, Entry entry) { mEntries[key] = std::move(entry); }

private:
    std::map<std::string, Entry> mEntries;
};

} // namespace fibnlr
