#include "fibnlr/operator/OperatorList.hpp"

#include <functional>
#include <map>

#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/BatchNorm.hpp"
#include "fibnlr/operator/Concat.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/operator/Elementwise.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/LRN.hpp"
#include "fibnlr/operator/Pool.hpp"
#include "fibnlr/operator/PReLU.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/operator/Reduce.hpp"
#include "fibnlr/operator/Resize.hpp"
#include "fibnlr/operator/ShapeOps.hpp"
#include "fibnlr/operator/Slice.hpp"

namespace fibnlr {

namespace {
using Factory = std::function<OperatorPtr()>;
template <class Op> Factory make() {
    return [] { return std::make_shared<Op>(); };
}

const std::map<std::string, Factory>& registry() {
    static const std::map<std::string, Factory> table{
        {"Producer", make<ProducerOp>()},
        {"Input", make<InputOp>()},
        {"Conv", make<ConvOp>()},
        {"Gemm", make<GemmOp>()},
        {"MatMul", make<MatMulOp>()},
        {"BatchNormalization", make<BatchNormOp>()},
#define FIBNLR_X(Class, Name, AttrType) {Name, make<Class>()},
        FIBNLR_ACTIVATIONS(FIBNLR_X)
#undef FIBNLR_X
        {"Add", make<AddOp>()},
        {"Sub", make<SubOp>()},
        {"Mul", make<MulOp>()},
        {"Div", make<DivOp>()},
        {"Sum", make<SumOp>()},
        {"LRN", make<LRNOp>()},
        {"Softmax", make<SoftmaxOp>()},
        {"MaxPool", make<MaxPoolOp>()},
        {"AveragePool", make<AveragePoolOp>()},
        {"GlobalAveragePool", make<GlobalAveragePoolOp>()},
#define FIBNLR_X(Class, Name, Kind) {Name, make<Class>()},
        FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X
        {"GlobalMaxPool", make<GlobalMaxPoolOp>()},
        {"Resize", make<ResizeOp>()},
        {"PReLU", make<PReLUOp>()},
        {"Flatten", make<FlattenOp>()},
        {"Reshape", make<ReshapeOp>()},
        {"Transpose", make<TransposeOp>()},
        {"Squeeze", make<SqueezeOp>()},
        {"Unsqueeze", make<UnsqueezeOp>()},
        {"Concat", make<ConcatOp>()},
        {"Split", make<SplitOp>()},
        {"Slice", make<SliceOp>()},
        {"Pad", make<PadOp>()},
    };
    return table;
}
} // namespace

const std::vector<std::string>& operatorTypes() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> out;
        for (const auto& kv : registry()) out.push_back(kv.first);
        return out;
    }();
    return types;
}

OperatorPtr makeOperator(const std::string& type, const AttrList& attrs, std::size_t nbInputs) {
    auto it = registry().find(type);
    if (it == registry().end()) {
        std::string known;
        for (const auto& t : operatorTypes()) known += (known.empty() ? "" : ", ") + t;
        throw std::invalid_argument("unknown operator type '" + type + "'; known types: " + known);
    }
    OperatorPtr op = it->second();
    if (nbInputs) op->setNbInputs(nbInputs);
    op->setAttributes(attrs);
    return op;
}

} // namespace fibnlr
