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
    CHECK(p.nodeTypes == std::vector<std::string>{"ReLU", "LeakyReLU", "GELU"});
    const auto none = FIBNLRParameters::none();
    CHECK((none.method == Method::Strict && none.normalization == NormalizationMethod::None &&
           none.group == GroupMethod::None && none.ablationCriteria == AblationCriteria::None &&
           none.ablationMethod == AblationMethod::None));
    const auto paper = FIBNLRParameters::paper();
    CHECK((paper.method == Method::Loose && paper.normalization == NormalizationMethod::Average &&
           paper.group == GroupMethod::Manual && paper.ablationCriteria == AblationCriteria::None &&
           paper.ablationMethod == AblationMethod::Identity));
    CHECK(p.repr().find("method=STRICT") != std::string::npos);
    CHECK(p.repr().find("node_types=['ReLU', 'LeakyReLU', 'GELU']") != std::string::npos);

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
