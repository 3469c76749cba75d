#include <catch2/catch.hpp>

#include <cmath>

#include "fibnlr/recipes/FIBNLRParameters.hpp"

using namespace fibnlr;

TEST_CASE("parameter validation and preset values", "[recipes][parameters]") {
    FIBNLRParameters p;
    CHECK(p.method == Method::Strict);
    CHECK(p.normalization == NormalizationMethod::Sum);
    CHECK(p.group == GroupMethod::ImageSize);
    CHECK(p.ablationCriteria == AblationCriteria::Threshold);
    CHECK(p.ablationMethod == AblationMethod::Identity);
    CHECK(p.ablationThreshold == 0.25);
    CHECK(p.ablationXLeast == 1);
    CHECK(p.maxIteration == 100);
    CHECK(p.convergenceThreshold == 1e-5);
    CHECK(p.groupAssignments.empty());
    CHECK(p.nodeTypes == std::vector<std::string>{"ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
                                                  "Mish", "Softplus"});
    const auto none = FIBNLRParameters::none();
    CHECK((none.method == Method::Strict && none.normalization == NormalizationMethod::None &&
           none.group == GroupMethod::None && none.ablationCriteria == AblationCriteria::None &&
           none.ablationMethod == AblationMethod::None));
    const auto paper = FIBNLRParameters::paper();
    CHECK((paper.method == Method::Loose && paper.normalization == NormalizationMethod::Average &&
           paper.group == GroupMethod::Manual && paper.ablationCriteria == AblationCriteria::None &&
           paper.ablationMethod == AblationMethod::Identity));
    CHECK(p.repr().find("method=STRICT") != std::string::npos);
    CHECK(p.repr().find("node_types=['ReLU', 'ReLU6', 'LeakyReLU', 'PReLU', 'ELU'") != std::string::npos);

    FIBNLRParameters bad;
    bad.ablationThreshold = -0.1;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("ablation_threshold") && Catch::Contains("-0.1"));
    bad = {};
    bad.ablationCriteria = AblationCriteria::XLeastPerGroup;
    bad.ablationXLeast = 0;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("ablation_x_least") && Catch::Contains("X_LEAST_PER_GROUP"));
    bad.ablationCriteria = AblationCriteria::Threshold;
    CHECK_NOTHROW(bad.validate());  // x_least 0 is harmless when not used
    bad = {};
    bad.maxIteration = -3;
    CHECK_THROWS_AS(bad.validate(), std::invalid_argument);
    bad = {};
    bad.convergenceThreshold = std::nan("");
    CHECK_THROWS_AS(bad.validate(), std::invalid_argument);
}

TEST_CASE("node_types: ONNX spellings are the same types, unknown names are refused", "[recipes][parameters]") {
    CHECK(sameNodeType("Relu", "ReLU"));
    CHECK(sameNodeType("LeakyRelu", "LeakyReLU"));
    CHECK(sameNodeType("Gelu", "GELU"));
    CHECK_FALSE(sameNodeType("ReLU", "ReLU6"));
    FIBNLRParameters p;
    p.nodeTypes = {"Relu", "Gelu", "Elu", "Clip"};
    CHECK_NOTHROW(p.validate());
    p.nodeTypes = {"ReLU", "Swish"};
    CHECK_THROWS_WITH(p.validate(), Catch::Contains("'Swish'") && Catch::Contains("no operator type") &&
                                        Catch::Contains("SiLU") && Catch::Contains("Mish"));
}

TEST_CASE("enum names print as the Python members", "[recipes][parameters]") {
    CHECK(toString(Method::Loose) == "LOOSE");
    CHECK(toString(NormalizationMethod::MinMax) == "MIN_MAX");
    CHECK(toString(GroupMethod::ImageSize) == "IMAGE_SIZE");
    CHECK(toString(AblationCriteria::XLeastPerGroup) == "X_LEAST_PER_GROUP");
    CHECK(toString(AblationMethod::Remove) == "REMOVE");
    FIBNLRParameters p;
    p.groupAssignments = {{"a", 2}};
    CHECK(p.repr().find("group_assignments={'a': 2}") != std::string::npos);
    CHECK(p == FIBNLRParameters{p});
    CHECK_FALSE(p == FIBNLRParameters{});
}

TEST_CASE("validate rejects enum values out of range, naming the field and the valid values",
          "[recipes][parameters]") {
    auto message = [](const FIBNLRParameters& p) {
        try {
            p.validate();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    FIBNLRParameters p;
    p.ablationMethod = static_cast<AblationMethod>(7);
    CHECK_THAT(message(p), Catch::Contains("ablation_method is 7") && Catch::Contains("REMOVE (2)"));
    p = FIBNLRParameters{};
    p.method = static_cast<Method>(-1);
    CHECK_THAT(message(p), Catch::Contains("method is -1"));
    p = FIBNLRParameters{};
    p.normalization = static_cast<NormalizationMethod>(4);
    CHECK_THAT(message(p), Catch::Contains("normalization is 4"));
    p = FIBNLRParameters{};
    p.group = static_cast<GroupMethod>(3);
    CHECK_THAT(message(p), Catch::Contains("group is 3"));
    p = FIBNLRParameters{};
    p.ablationCriteria = static_cast<AblationCriteria>(3);
    CHECK_THAT(message(p), Catch::Contains("ablation_criteria is 3"));
    p = FIBNLRParameters{};
    p.ablationMethod = AblationMethod::Remove;
    CHECK(message(p).empty());
}
