#include <algorithm>
#include <catch2/catch.hpp>

#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;

TEST_CASE("kernelList: every operator type but Producer and Input has a ref kernel", "[kernels]") {
    for (const std::string& type : operatorTypes()) {
        INFO(type);
        if (type == "Producer" || type == "Input") CHECK(findKernel(type, "ref") == nullptr);
        else CHECK(findKernel(type, "ref") != nullptr);
    }
    for (const KernelEntry& k : kernelList()) {
        INFO(k.opType << " on " << k.backend);
        CHECK(k.fn != nullptr);
        CHECK(std::find(operatorTypes().begin(), operatorTypes().end(), k.opType) != operatorTypes().end());
    }
}

TEST_CASE("findKernel: falls back to ref, null for an unknown type", "[kernels]") {
    REQUIRE(findKernel("Conv", "cpu") == findKernel("Conv", "ref"));
    REQUIRE(findKernel("Conv", "no-such-backend") == findKernel("Conv", "ref"));
    REQUIRE(findKernel("NoSuchOp", "ref") == nullptr);
}
