#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/operator/Attribute.hpp"

namespace fibnlr {

/// Whether an input carries activations (Data) or constants owned by the
/// layer (Param: weights, biases, BN statistics), which are Producer nodes
/// in the graph so recipes can read and rewrite them.
enum class InputCategory { Data, Param, OptionalParam };

struct InputSpec {
    std::string name;
    InputCategory category;
};

/// An operator: its type name, its inputs, its typed attributes and its shape rule.
///
/// Kernels live elsewhere (kernels/); an operator only describes. Errors in
/// attribute values or input shapes throw std::invalid_argument with a
/// message that does not yet name the node: the caller (graph, scheduler)
/// prefixes the node name.
class Operator {
public:
    virtual ~Operator() = default;

    virtual std::string type() const = 0;
    virtual const std::vector<InputSpec>& inputSpecs() const = 0;
    virtual std::size_t nbOutputs() const { return 1; }
    /// Variadic operators (Sum, Concat) take their input count here, before
    /// the operator is given to a Node.
    virtual bool isVariadic() const { return false; }
    virtual void setNbInputs(std::size_t) {
        throw std::invalid_argument(type() + " has a fixed number of inputs");
    }

    /// Attributes in declaration order, as (ONNX name, value).
    virtual AttrList attributes() const = 0;
    /// Throws std::invalid_argument for an unknown name or a value of the wrong type.
    virtual void setAttribute(const std::string& name, const AttrValue& value) = 0;
    /// Sets several attributes, then validates once (so their order does not
    /// matter); on error the previous attributes are restored. The default
    /// sets them one by one, for operators without an attribute struct.
    virtual void setAttributes(const AttrList& values) {
        for (const auto& kv : values) setAttribute(kv.first, kv.second);
    }
    /// Checks attribute ranges (negative stride, zero groups, ...).
    virtual void validate() const {}

    /// Output shapes from input shapes (one per input; an absent optional
    /// input has an empty shape). Checks that inputs are compatible.
    virtual std::vector<Shape> inferShapes(const std::vector<Shape>& inputs) const = 0;

    /// Copy sharing any data the operator holds (a Producer's tensor).
    virtual std::shared_ptr<Operator> clone() const = 0;
    /// Copy owning copies of any data the operator holds.
    virtual std::shared_ptr<Operator> deepClone() const { return clone(); }

    std::size_t nbInputs() const { return inputSpecs().size(); }
    bool isParamInput(std::size_t i) const { return inputSpecs().at(i).category != InputCategory::Data; }
    /// Index of the input named `name`; throws when absent.
    std::size_t inputIndex(const std::string& name) const;
    AttrValue getAttribute(const std::string& name) const;
    bool hasAttribute(const std::string& name) const;
    std::string toString() const;
    bool sameAttributes(const Operator& other) const;

    /// Incremented by every attribute or value change, so compiled plans can tell they are stale.
    std::size_t revision() const { return mRevision; }

protected:
    void bumpRevision() { ++mRevision; }

private:
    std::size_t mRevision = 0;
};

using OperatorPtr = std::shared_ptr<Operator>;

/// Implements the attribute plumbing of Operator from one `visit` function of
/// a plain attribute struct: `template <class V> void visit(V&& v) { v("name", field); ... }`.
template <class Derived, class Attrs>
class OperatorWithAttrs : public Operator {
public:
    Attrs attrs;

    OperatorWithAttrs() = default;
    explicit OperatorWithAttrs(Attrs a) : attrs(std::move(a)) {}

    AttrList attributes() const override {
        AttrList out;
        const_cast<Attrs&>(attrs).visit([&](const char* name, auto& field) { out.emplace_back(name, AttrValue(field)); });
        return out;
    }
    /// Assigns then validates; on any error the previous attributes are restored.
    void setAttribute(const std::string& name, const AttrValue& value) override { setAttributes({{name, value}}); }
    void setAttributes(const AttrList& values) override {
        const Attrs previous = attrs;
        try {
            for (const auto& kv : values) assign(kv.first, kv.second);
            this->validate();
        } catch (...) {
            attrs = previous;
            throw;
        }
        bumpRevision();
    }
    std::shared_ptr<Operator> clone() const override {
        return std::make_shared<Derived>(static_cast<const Derived&>(*this));
    }

private:
    void assign(const std::string& name, const AttrValue& value) {
        bool found = false, ok = false;
        attrs.visit([&](const char* n, auto& field) {
            if (name == n) {
                found = true;
                ok = assignAttr(field, value);
            }
        });
        if (!found) throw std::invalid_argument(type() + " has no attribute '" + name + "'");
        if (!ok)
            throw std::invalid_argument(type() + " attribute '" + name + "' cannot take the value " +
                                        fibnlr::toString(value));
    }
};

/// An operator without attributes.
struct NoAttrs {
    template <class V> void visit(V&&) {}
};

} // namespace fibnlr
