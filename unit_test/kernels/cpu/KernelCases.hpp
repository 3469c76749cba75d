#pragma once
// Shared by the unit_test/kernels/cpu/test_*.cpp files: awkward cases per
// operator type, and one driver that runs every "cpu" entry of the kernel list
// accepting a case against the "ref" entry of the same op type, on both SIMD
// paths (generic and, when the CPU has it, AVX2) and on 1 and 3 threads.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr::test {

struct KernelCase {
    std::string label;
    OperatorPtr op;
    std::vector<Tensor> inputs;  ///< an empty Tensor is an absent optional input
};

/// Case generators by operator type (KernelCases.cpp). Every op type with a
/// "cpu" kernel must have one: test_KernelList.cpp checks it.
using CaseGenerator = std::function<std::vector<KernelCase>()>;
const std::map<std::string, CaseGenerator>& caseGenerators();

/// The set_kernels modes of the SIMD paths this CPU has: "cpu-generic", then
/// "cpu-avx2" and "cpu" (AVX-512) when available.
std::vector<std::string> simdPaths();

/// Runs every case of `opType` through every "cpu" kernel entry of that type
/// that supports it (not only the one dispatch would pick); compares with ref (max |cpu − ref| ≤ 2e-5 · max(1, max |ref|)).
/// Returns the names of the entries exercised.
std::vector<std::string> checkAgainstRef(const std::string& opType);

/// checkAgainstRef for each type, then checks that every "cpu" entry of these
/// types saw at least one case (a new variant needs cases that reach it).
void checkAllEntries(const std::vector<std::string>& opTypes);

/// The op types each unit_test/kernels/cpu/test_<area>.cpp checks (every
/// activation of operator/Activation.hpp is in "Elementwise"). Every op type
/// with a "cpu" kernel is in exactly one area: test_KernelList.cpp checks it.
const std::map<std::string, std::vector<std::string>>& cpuTestAreas();
/// checkAllEntries(cpuTestAreas().at(area)).
void checkArea(const std::string& area);

} // namespace fibnlr::test
