#include "fibnlr/operator/Producer.hpp"

#include <cstring>
#include <stdexcept>

namespace fibnlr {

const std::vector<InputSpec>& ProducerOp::inputSpecs() const {
    static const std::vector<InputSpec> specs;
    return specs;
}

void ProducerOp::assign(const Tensor& values, const std::string& what) {
    if (values.dataType() != mValue.dataType())
        throw std::invalid_argument(what + ": element type " + fibnlr::toString(values.dataType()) + " given, " +
                                    fibnlr::toString(mValue.dataType()) + " expected");
    if (values.dims() != mValue.dims())
        throw std::invalid_argument(what + ": shape " + fibnlr::toString(values.dims()) + " given, " + fibnlr::toString(mValue.dims()) +
                                    " expected (use set_parameter/setValue to change the shape)");
    if (mValue.empty() || values.sharesStorageWith(mValue)) {
        mValue.markWritten();
        return;
    }
    std::memcpy(mValue.rawData(), values.rawData(), values.nbBytes());
}

const std::vector<InputSpec>& InputOp::inputSpecs() const {
    static const std::vector<InputSpec> specs;
    return specs;
}

std::vector<Shape> InputOp::inferShapes(const std::vector<Shape>&) const {
    throw std::invalid_argument("an Input's shape comes from compile(dims), not from inference");
}

} // namespace fibnlr
