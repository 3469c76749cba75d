#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"

using namespace fibnlr;

namespace {
/// The activations the epilogue tests run: those done in registers, and one transcendental.
const Activation kRelu{ActKind::ReLU}, kLeaky{ActKind::LeakyReLU, 0.1f}, kRelu6{ActKind::Clip, 0.f, 6.f},
    kGelu{ActKind::GELU};
/// Per-lane scale and shift of the interleaved epilogue tests: the lanes cycle through the three
/// arithmetic forms of scaleShiftAct (scale 1 and shift 0, shift only, both).
void laneAffine(std::size_t L, std::vector<float>& scale, std::vector<float>& shift) {
    scale.resize(L), shift.resize(L);
    for (std::size_t l = 0; l < L; ++l) {
        scale[l] = l % 3 == 2 ? 0.75f + 0.125f * static_cast<float>(l) : 1.f;
        shift[l] = l % 3 == 0 ? 0.f : 0.5f - 0.25f * static_cast<float>(l % 4);
    }
}
} // namespace

TEST_CASE("set_kernels selects the SIMD path and rejects unknown modes", "[kernels][isa]") {
    const std::size_t rev = kernelsRevision();
    setKernels("cpu-generic");
    CHECK(std::string(micro().name) == "generic");
    CHECK(kernels() == "cpu-generic");
    setKernels("cpu-avx2");
    CHECK(std::string(micro().name) == (microAvx2() ? "avx2" : "generic"));
    setKernels("cpu");
    CHECK(std::string(micro().name) == (microAvx512() ? "avx512" : microAvx2() ? "avx2" : "generic"));
    setKernels("ref");
    CHECK(kernels() == "ref");
    CHECK_THROWS_AS(setKernels("fast"), std::invalid_argument);
    setKernels("cpu");
    CHECK(kernelsRevision() == rev + 5);  // five successful calls; the rejected one changes nothing
}

TEST_CASE("every micro-kernel table agrees on reductions with tails", "[kernels][isa]") {
    std::vector<float> x(1027);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 29 % 83)) - 41.f;
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        for (std::size_t n : {1, 7, 8, 9, 1027}) {
            double want = 0;
            float mx = x[0];
            for (std::size_t i = 0; i < n; ++i) want += x[i], mx = std::max(mx, x[i]);
            CHECK(m->sum(x.data(), n) == Approx(want).margin(1e-3));
            CHECK(m->max(x.data(), n) == mx);
        }
    }
}

TEST_CASE("countAct and scaleShiftCountAct of every table equal the reference counter and activation", "[kernels][isa]") {
    // NaN, ±Inf, ±0, subnormals and ordinary values at every position of a
    // vector, lengths around the 4-, 8- and 16-lane widths.
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float special[] = {nan, inf, -inf, 0.f, -0.f, 1e-40f, -1e-40f, 3.5f, -2.25f, 1e30f, -1e30f, 0.125f};
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        for (std::size_t n : {1, 3, 8, 15, 16, 17, 33, 1027}) {
            std::vector<float> x(n);
            for (std::size_t i = 0; i < n; ++i)
                x[i] = i % 5 == 0 ? special[i % 12] : static_cast<float>(static_cast<int>(i * 37 % 101) - 50) * 0.37f;
            for (const Activation& act : {kRelu, kLeaky, kRelu6, kGelu}) {
                INFO(m->name << ", n = " << n << ", activation " << static_cast<int>(act.kind));
                SignCounts want;
                std::uint8_t alive = 0;
                countSigns_f32_ref(x.data(), 1, 1, n, &alive, want);
                std::vector<float> wantY(n);
                microGeneric().scaleShiftAct(x.data(), wantY.data(), n, 1.f, 0.f, act);
                std::vector<float> y = x;
                double neg = 1.0, pos = 2.0;  // accumulates onto what is there
                std::uint64_t bad = 3;
                const bool any = m->countAct(y.data(), n, act, neg, pos, bad);
                CHECK(std::fabs((neg - 1.0) - want.neg) <= 1e-12 * std::max(1.0, want.neg));
                CHECK(std::fabs((pos - 2.0) - want.pos) <= 1e-12 * std::max(1.0, want.pos));
                CHECK(bad - 3 == want.nonFinite);
                CHECK(any == (alive != 0));
                for (std::size_t i = 0; i < n; ++i) {
                    INFO("i = " << i << ", x = " << x[i]);
                    CHECK(((std::isnan(y[i]) && std::isnan(wantY[i])) || y[i] == wantY[i]));
                    CHECK(std::signbit(y[i]) == std::signbit(wantY[i]));
                }
                // The measuring epilogue: the same outputs as the table's own scaleShiftAct, the
                // statistics of the pre-activation values, for each of its three arithmetic forms.
                for (const auto& [sc, sh] : {std::pair<float, float>{1.f, 0.f}, {1.f, 0.5f}, {0.75f, -0.25f}}) {
                    INFO("scale " << sc << ", shift " << sh);
                    std::vector<float> pre(n), want2(n), got(n);
                    m->scaleShiftAct(x.data(), pre.data(), n, sc, sh, Activation{});
                    m->scaleShiftAct(x.data(), want2.data(), n, sc, sh, act);
                    SignCounts wantPre;
                    std::uint8_t alivePre = 0;
                    countSigns_f32_ref(pre.data(), 1, 1, n, &alivePre, wantPre);
                    double n2 = 0.0, p2 = 0.0;
                    std::uint64_t b2 = 0;
                    const bool any2 = m->scaleShiftCountAct(x.data(), got.data(), n, sc, sh, act, n2, p2, b2);
                    CHECK(std::fabs(n2 - wantPre.neg) <= 1e-12 * std::max(1.0, wantPre.neg));
                    CHECK(std::fabs(p2 - wantPre.pos) <= 1e-12 * std::max(1.0, wantPre.pos));
                    CHECK(b2 == wantPre.nonFinite);
                    CHECK(any2 == (alivePre != 0));
                    for (std::size_t i = 0; i < n; ++i) {
                        INFO("i = " << i << ", x = " << x[i]);
                        CHECK(((std::isnan(got[i]) && std::isnan(want2[i])) || got[i] == want2[i]));
                        CHECK(std::signbit(got[i]) == std::signbit(want2[i]));
                    }
                }
            }
        }
    }
}

namespace {
/// For every table, stride 1 to 3 and n around the 8- and 16-lane widths: three input rows filled with
/// value(ky, i), each its own heap block of exactly the (n − 1)·stride + 3 floats a 3×3 row kernel may
/// read (so AddressSanitizer sees a read past it), then check(m, rows, r, n, stride).
template <class Value, class Check>
void forEach3x3Rows(Value value, Check check) {
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        for (std::size_t stride : {1, 2, 3}) {
            for (std::size_t n : {1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 61, 100}) {
                INFO(m->name << ", stride " << stride << ", n = " << n);
                const std::size_t len = (n - 1) * stride + 3;
                std::vector<std::vector<float>> rows(3, std::vector<float>(len));
                for (std::size_t ky = 0; ky < 3; ++ky)
                    for (std::size_t i = 0; i < len; ++i) rows[ky][i] = value(ky, i);
                const float* r[3] = {rows[0].data(), rows[1].data(), rows[2].data()};
                check(*m, rows, r, n, stride);
            }
        }
    }
}

float rowValue(std::size_t ky, std::size_t i) {
    return static_cast<float>(static_cast<int>((i * 7 + ky * 13) % 23) - 11) * 0.125f;
}
} // namespace

TEST_CASE("dw3x3Row of every table equals the 3×3 window sum on rows of exactly the floats it may read", "[kernels][isa]") {
    float w[9];
    for (std::size_t k = 0; k < 9; ++k) w[k] = 0.25f * static_cast<float>(k) - 1.f;
    forEach3x3Rows(rowValue, [&](const Micro& m, const std::vector<std::vector<float>>& rows, const float* const* r,
                                 std::size_t n, std::size_t stride) {
        std::vector<float> y(n, -7.f);
        m.dw3x3Row(r, w, n, stride, y.data());
        for (std::size_t ox = 0; ox < n; ++ox) {
            double want = 0.0;
            for (std::size_t ky = 0; ky < 3; ++ky)
                for (std::size_t kx = 0; kx < 3; ++kx) want += double(w[3 * ky + kx]) * rows[ky][ox * stride + kx];
            INFO("ox = " << ox);
            CHECK(std::fabs(y[ox] - want) <= 1e-5 * std::max(1.0, std::fabs(want)));
        }
    });
}

TEST_CASE("max3x3Row of every table equals the 3×3 window max on rows of exactly the floats it may read", "[kernels][isa]") {
    // Values include −Inf, whose windows give the lowest float (the ref kernel's start).
    const float inf = std::numeric_limits<float>::infinity();
    auto value = [inf](std::size_t ky, std::size_t i) { return i < 4 ? -inf : rowValue(ky, i); };
    forEach3x3Rows(value, [](const Micro& m, const std::vector<std::vector<float>>& rows, const float* const* r,
                             std::size_t n, std::size_t stride) {
        std::vector<float> y(n, -7.f);
        m.max3x3Row(r, n, stride, y.data());
        for (std::size_t ox = 0; ox < n; ++ox) {
            float want = std::numeric_limits<float>::lowest();
            for (std::size_t ky = 0; ky < 3; ++ky)
                for (std::size_t kx = 0; kx < 3; ++kx) want = std::max(want, rows[ky][ox * stride + kx]);
            INFO("ox = " << ox);
            CHECK(y[ox] == want);
        }
    });
}

TEST_CASE("dwInterleave and dwDeinterleave of every table move each value to its lane and pixel", "[kernels][isa]") {
    // Lanes from 1 to L, pixel counts around the vector width, a map of 7-wide rows laid into 10-wide ones.
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        const std::size_t L = m->dwLanes;
        for (std::size_t lanes : {std::size_t(1), L / 2 + 1, L})
            for (std::size_t n : {std::size_t(1), L - 1, L, L + 1, std::size_t(49), 3 * L + 5}) {
                INFO(m->name << ", lanes " << lanes << ", n = " << n);
                const std::size_t stride = n + 3, rowLen = 7, dstRow = 10, rows = (n + rowLen - 1) / rowLen;
                std::vector<float> src(lanes * stride);
                for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i) + 0.5f;
                std::vector<float> dst(rows * dstRow * L, -1.f);
                m->dwInterleave(src.data(), stride, lanes, n, rowLen, dstRow, dst.data());
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t l = 0; l < L; ++l) {
                        INFO("i = " << i << ", l = " << l);
                        CHECK(dst[((i / rowLen) * dstRow + i % rowLen) * L + l] == (l < lanes ? src[l * stride + i] : 0.f));
                    }
                // Pixels past each row's rowLen are not written.
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t x = rowLen; x < dstRow; ++x) CHECK(dst[(r * dstRow + x) * L] == -1.f);

                std::vector<float> packed(n * L);
                for (std::size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<float>(i) * 0.25f;
                std::vector<float> planes(L * stride, -1.f);
                m->dwDeinterleave(packed.data(), n, lanes, planes.data(), stride);
                for (std::size_t l = 0; l < L; ++l)
                    for (std::size_t i = 0; i < stride; ++i) {
                        INFO("l = " << l << ", i = " << i);
                        CHECK(planes[l * stride + i] == (l < lanes && i < n ? packed[i * L + l] : -1.f));
                    }
            }
    }
}

TEST_CASE("gemmPacked and gemmIndirect of every table equal a double GEMM for every row and column count", "[kernels][isa]") {
    // Every rows ≤ MR (the tile runs MR/3, 2·MR/3 or MR rows), column counts around the vector width,
    // B packed (ldb = NR) or read in place (ldb > NR), with and without accumulating. B is its own
    // heap block of exactly the floats the tile may read; the panel's rows past `rows` hold NaN (they
    // must not reach a written row), and every element of `out` outside rows × cols must stay as it was.
    const float kNaN = std::numeric_limits<float>::quiet_NaN();
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        const std::size_t MR = m->gemmMR, NR = m->gemmNR, W = NR / 2;
        for (std::size_t K : {1, 7, 33}) {
            for (std::size_t rows = 1; rows <= MR; ++rows) {
                std::vector<float> up(K * MR, kNaN);
                for (std::size_t k = 0; k < K; ++k)
                    for (std::size_t r = 0; r < rows; ++r) up[k * MR + r] = rowValue(r, k * 3 + 1);
                for (std::size_t cols : {std::size_t(1), W - 1, W, W + 1, NR - 1, NR}) {
                    for (std::size_t ldb : {NR, NR + 5}) {
                        std::vector<float> B((K - 1) * ldb + cols);
                        for (std::size_t i = 0; i < B.size(); ++i) B[i] = rowValue(i % 3, i);
                        std::vector<std::size_t> offs(K);
                        for (std::size_t k = 0; k < K; ++k) offs[k] = k * ldb;
                        const std::size_t ldo = NR + 3;
                        for (int mode = 0; mode < 3; ++mode) {  // 0 packed, 1 packed accumulating, 2 indirect
                            INFO(m->name << ", K = " << K << ", rows = " << rows << ", cols = " << cols << ", ldb = " << ldb
                                         << ", mode " << mode);
                            std::vector<float> out((MR + 1) * ldo);
                            for (std::size_t i = 0; i < out.size(); ++i) out[i] = 0.5f * static_cast<float>(i % 7);
                            const std::vector<float> before = out;
                            if (mode == 2) m->gemmIndirect(up.data(), B.data(), offs.data(), K, out.data(), ldo, rows, cols);
                            else m->gemmPacked(up.data(), B.data(), ldb, K, out.data(), ldo, rows, cols, mode == 1);
                            bool ok = true;
                            for (std::size_t r = 0; r <= MR; ++r)
                                for (std::size_t j = 0; j < ldo; ++j) {
                                    const float got = out[r * ldo + j];
                                    if (r >= rows || j >= cols) {
                                        ok = ok && got == before[r * ldo + j];
                                        continue;
                                    }
                                    double want = mode == 1 ? before[r * ldo + j] : 0.0;
                                    for (std::size_t k = 0; k < K; ++k) want += double(up[k * MR + r]) * B[k * ldb + j];
                                    ok = ok && std::fabs(got - want) <= 1e-5 * std::max(1.0, std::fabs(want));
                                }
                            CHECK(ok);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("dwAffineAct of every table equals its scaleShiftAct on each lane's plane, bit for bit", "[kernels][isa]") {
    // Lanes cycle through the three arithmetic forms of scaleShiftAct (scale 1 and shift 0, shift only,
    // both); the values include NaN, ±Inf, ±0 and values an affine turns to ±0.
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float special[] = {nan, inf, -inf, 0.f, -0.f, -0.5f, 0.25f, 3.5f, -2.25f, 7.f};
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        const std::size_t L = m->dwLanes, n = 23;
        std::vector<float> scale, shift, v(n * L);
        laneAffine(L, scale, shift);
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] = i % 3 == 0 ? special[i % 10] : static_cast<float>(static_cast<int>(i * 37 % 41) - 20) * 0.25f;
        for (const Activation& act : {Activation{}, kRelu, kLeaky, kRelu6}) {
            INFO(m->name << ", activation " << static_cast<int>(act.kind));
            std::vector<float> got = v;
            m->dwAffineAct(got.data(), n, scale.data(), shift.data(), act);
            for (std::size_t l = 0; l < L; ++l) {
                std::vector<float> plane(n), want(n);
                for (std::size_t i = 0; i < n; ++i) plane[i] = v[i * L + l];
                m->scaleShiftAct(plane.data(), want.data(), n, scale[l], shift[l], act);
                bool same = true;
                for (std::size_t i = 0; i < n; ++i) {
                    const float a = got[i * L + l], b = want[i];
                    same = same && ((std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b)));
                }
                INFO("lane " << l << ", scale " << scale[l] << ", shift " << shift[l]);
                CHECK(same);
            }
        }
    }
}

TEST_CASE("dwAffineCountAct of every table writes dwAffineAct's bits and counts the live lanes as scaleShiftCountAct",
          "[kernels][isa]") {
    // As above, with lanes l >= `lanes` holding NaN and +Inf (a partial channel block must not count
    // them), and lanes whose values are all <= 0 (their alive bit stays clear).
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float special[] = {nan, inf, -inf, 0.f, -0.f, -0.5f, 0.25f, 3.5f, -2.25f, 7.f};
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        const std::size_t L = m->dwLanes;
        std::vector<float> scale, shift;
        laneAffine(L, scale, shift);
        for (std::size_t n : {1, 2, 3, 23}) {
            for (std::size_t lanes : {L, L - 1, std::size_t(1)}) {
                std::vector<float> v(n * L);
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t l = 0; l < L; ++l) {
                        const std::size_t k = i * L + l;
                        v[k] = l >= lanes       ? (i % 2 ? nan : inf)
                               : l % 4 == 1     ? -1.f - static_cast<float>(k % 7) - shift[l]  // never > 0
                               : k % 3 == 0     ? special[k % 10]
                                                : static_cast<float>(static_cast<int>(k * 37 % 41) - 20) * 0.25f;
                    }
                for (const Activation& act : {Activation{}, kRelu, kLeaky, kRelu6}) {
                    INFO(m->name << ", n = " << n << ", lanes " << lanes << ", activation " << static_cast<int>(act.kind));
                    std::vector<float> got = v, want = v;
                    m->dwAffineAct(want.data(), n, scale.data(), shift.data(), act);
                    double neg = 1.0, pos = 2.0;  // accumulates onto what is there
                    std::uint64_t bad = 3;
                    const std::uint32_t up =
                        m->dwAffineCountAct(got.data(), n, scale.data(), shift.data(), act, lanes, neg, pos, bad);
                    CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
                    double wantNeg = 0.0, wantPos = 0.0;
                    std::uint64_t wantBad = 0;
                    std::uint32_t wantUp = 0;
                    for (std::size_t l = 0; l < lanes; ++l) {
                        std::vector<float> plane(n), out(n);
                        for (std::size_t i = 0; i < n; ++i) plane[i] = v[i * L + l];
                        if (m->scaleShiftCountAct(plane.data(), out.data(), n, scale[l], shift[l], act, wantNeg,
                                                  wantPos, wantBad))
                            wantUp |= 1u << l;
                    }
                    CHECK(std::fabs((neg - 1.0) - wantNeg) <= 1e-12 * std::max(1.0, wantNeg));
                    CHECK(std::fabs((pos - 2.0) - wantPos) <= 1e-12 * std::max(1.0, wantPos));
                    CHECK(bad - 3 == wantBad);
                    CHECK(up == wantUp);
                }
            }
        }
    }
}
