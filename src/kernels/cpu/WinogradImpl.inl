// The Winograd transforms of the micro-kernel tables (WinogradTransforms in
// kernels/cpu/Micro.hpp; the convolution that uses them is kernels/cpu/Winograd.cpp).
// Included by MicroImpl.inl inside its anonymous namespace, so that each table
// compiles them for its own ISA.

// Winograd F(2×2, 3×3): input tile d (4×4) → Bᵀ d B, output m (4×4) → Aᵀ m A,
// filter g (3×3) → G g Gᵀ, with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
// Aᵀ = [1 1 1 0; 0 1 −1 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. Rows are split
// into even and odd columns first, so that every loop below runs over
// contiguous floats and vectorises. Chunks keep the temporaries on the stack.
constexpr std::size_t kWinoChunk = 64;

void winogradRow(const float* r, std::size_t tiles, float* h, std::size_t hs) {
    // d B for each tile of the row: columns 2t .. 2t + 3, split into even and odd first.
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float e[kWinoChunk + 1], o[kWinoChunk + 1];  // columns 2k and 2k + 1
        const float* __restrict rr = r + 2 * t0;
        for (std::size_t x = 0; x <= nt; ++x) e[x] = rr[2 * x], o[x] = rr[2 * x + 1];
        float* __restrict h0 = h + t0;
        float* __restrict h1 = h0 + hs;
        float* __restrict h2 = h1 + hs;
        float* __restrict h3 = h2 + hs;
        for (std::size_t t = 0; t < nt; ++t) {
            h0[t] = e[t] - e[t + 1];
            h1[t] = o[t] + e[t + 1];
            h2[t] = e[t + 1] - o[t];
            h3[t] = o[t] - o[t + 1];
        }
    }
}

/// v0..v3[t] = a − c, b + c, c − b, b − d at t < n. Restrict parameters:
/// GCC 12 does not vectorise the loop with block-scope restrict pointers.
inline void winogradColLine(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                            const float* __restrict d, float* __restrict v0, float* __restrict v1, float* __restrict v2,
                            float* __restrict v3, std::size_t n) {
    for (std::size_t t = 0; t < n; ++t) {
        v0[t] = a[t] - c[t];
        v1[t] = b[t] + c[t];
        v2[t] = c[t] - b[t];
        v3[t] = b[t] - d[t];
    }
}

void winogradCol(const float* const* h, std::size_t hs, std::size_t tiles, float* v, std::size_t vs) {
    // Bᵀ (d B): rows a, b, c, d of the tiles → ξ = 4i + j with i: a − c, b + c, c − b, b − d.
    for (std::size_t j = 0; j < 4; ++j) {
        float* v0 = v + j * vs;
        winogradColLine(h[0] + j * hs, h[1] + j * hs, h[2] + j * hs, h[3] + j * hs, v0, v0 + 4 * vs, v0 + 8 * vs,
                        v0 + 12 * vs, tiles);
    }
}

void winogradOut(const float* m, std::size_t ms, std::size_t tiles, float* const* yr) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float s[2][4][kWinoChunk];  // Aᵀ m
        for (std::size_t j = 0; j < 4; ++j) {
            const float *a = m + j * ms + t0, *b = a + 4 * ms, *c = b + 4 * ms, *d = c + 4 * ms;
            for (std::size_t t = 0; t < nt; ++t) {
                s[0][j][t] = a[t] + b[t] + c[t];
                s[1][j][t] = b[t] - c[t] - d[t];
            }
        }
        for (std::size_t i = 0; i < 2; ++i) {  // (Aᵀ m) A, then interleaved into the output row
            float ev[kWinoChunk], od[kWinoChunk];
            for (std::size_t t = 0; t < nt; ++t) {
                ev[t] = s[i][0][t] + s[i][1][t] + s[i][2][t];
                od[t] = s[i][1][t] - s[i][2][t] - s[i][3][t];
            }
            float* __restrict y = yr[i] + 2 * t0;
            for (std::size_t t = 0; t < nt; ++t) y[2 * t] = ev[t], y[2 * t + 1] = od[t];
        }
    }
}

void winogradWeights(const float* w, std::size_t ws, std::size_t n, float* u, std::size_t us) {
    for (std::size_t c0 = 0; c0 < n; c0 += kWinoChunk) {
        const std::size_t nc = n - c0 < kWinoChunk ? n - c0 : kWinoChunk;
        float g[9][kWinoChunk];
        for (std::size_t c = 0; c < nc; ++c)
            for (std::size_t k = 0; k < 9; ++k) g[k][c] = w[(c0 + c) * ws + k];
        float gg[4][3][kWinoChunk];  // G g
        for (std::size_t k = 0; k < 3; ++k)
            for (std::size_t c = 0; c < nc; ++c) {
                gg[0][k][c] = g[k][c];
                gg[1][k][c] = 0.5f * (g[k][c] + g[3 + k][c] + g[6 + k][c]);
                gg[2][k][c] = 0.5f * (g[k][c] - g[3 + k][c] + g[6 + k][c]);
                gg[3][k][c] = g[6 + k][c];
            }
        for (std::size_t i = 0; i < 4; ++i) {  // (G g) Gᵀ
            float* __restrict u0 = u + (4 * i) * us + c0;
            float* __restrict u1 = u0 + us;
            float* __restrict u2 = u1 + us;
            float* __restrict u3 = u2 + us;
            for (std::size_t c = 0; c < nc; ++c) {
                const float a = gg[i][0][c], b = gg[i][1][c], d = gg[i][2][c];
                u0[c] = a;
                u1[c] = 0.5f * (a + b + d);
                u2[c] = 0.5f * (a - b + d);
                u3[c] = d;
            }
        }
    }
}

// Winograd F(4×4, 3×3) (Lavin & Gray, points 0, ±1, ±2, ∞): input tile d
// (6×6, stride 4) → Bᵀ d B, output → Aᵀ m A (4×4), filter → G g Gᵀ, with
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1],
//   G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1].
// Rows are split into their four column phases first (column 4t + q → q),
// so that the loops run over contiguous floats.

/// Bᵀ applied to six values a..f (one column of a tile, or one row) at
/// each t < n: o_k[t] = (Bᵀ (a, b, c, d, e, f)[t])_k. Restrict parameters, as in winogradColLine.
inline void winograd4BLine(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                           const float* __restrict d, const float* __restrict e, const float* __restrict f,
                           float* __restrict o0, float* __restrict o1, float* __restrict o2, float* __restrict o3,
                           float* __restrict o4, float* __restrict o5, std::size_t n) {
    for (std::size_t t = 0; t < n; ++t) {
        o0[t] = 4.f * a[t] - 5.f * c[t] + e[t];
        o1[t] = e[t] + d[t] - 4.f * (b[t] + c[t]);
        o2[t] = e[t] - d[t] + 4.f * (b[t] - c[t]);
        o3[t] = e[t] - c[t] + 2.f * (d[t] - b[t]);
        o4[t] = e[t] - c[t] + 2.f * (b[t] - d[t]);
        o5[t] = 4.f * b[t] - 5.f * d[t] + f[t];
    }
}

void winograd4Row(const float* r, std::size_t tiles, float* h, std::size_t hs) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float p[4][kWinoChunk + 1];  // column 4x + q of the chunk → p[q][x]
        const float* __restrict rr = r + 4 * t0;
        for (std::size_t x = 0; x < nt; ++x)
            for (std::size_t q = 0; q < 4; ++q) p[q][x] = rr[4 * x + q];
        p[0][nt] = rr[4 * nt], p[1][nt] = rr[4 * nt + 1];  // the last tile's columns 4 and 5
        float* h0 = h + t0;
        winograd4BLine(p[0], p[1], p[2], p[3], p[0] + 1, p[1] + 1, h0, h0 + hs, h0 + 2 * hs, h0 + 3 * hs, h0 + 4 * hs,
                       h0 + 5 * hs, nt);
    }
}

void winograd4Col(const float* const* h, std::size_t hs, std::size_t tiles, float* v, std::size_t vs) {
    for (std::size_t j = 0; j < 6; ++j) {
        float* v0 = v + j * vs;
        winograd4BLine(h[0] + j * hs, h[1] + j * hs, h[2] + j * hs, h[3] + j * hs, h[4] + j * hs, h[5] + j * hs, v0,
                       v0 + 6 * vs, v0 + 12 * vs, v0 + 18 * vs, v0 + 24 * vs, v0 + 30 * vs, tiles);
    }
}

void winograd4Out(const float* m, std::size_t ms, std::size_t tiles, float* const* yr) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float s[4][6][kWinoChunk];  // Aᵀ m
        for (std::size_t j = 0; j < 6; ++j) {
            const float* __restrict a = m + j * ms + t0;
            const float *b = a + 6 * ms, *c = b + 6 * ms, *d = c + 6 * ms, *e = d + 6 * ms, *f = e + 6 * ms;
            for (std::size_t t = 0; t < nt; ++t) {
                const float bc = b[t] + c[t], bmc = b[t] - c[t], de = d[t] + e[t], dme = d[t] - e[t];
                s[0][j][t] = a[t] + bc + de;
                s[1][j][t] = bmc + 2.f * dme;
                s[2][j][t] = bc + 4.f * de;
                s[3][j][t] = bmc + 8.f * dme + f[t];
            }
        }
        for (std::size_t i = 0; i < 4; ++i) {  // (Aᵀ m) A, then interleaved into the output row
            float o[4][kWinoChunk];
            const float *a = s[i][0], *b = s[i][1], *c = s[i][2], *d = s[i][3], *e = s[i][4], *f = s[i][5];
            for (std::size_t t = 0; t < nt; ++t) {
                const float bc = b[t] + c[t], bmc = b[t] - c[t], de = d[t] + e[t], dme = d[t] - e[t];
                o[0][t] = a[t] + bc + de;
                o[1][t] = bmc + 2.f * dme;
                o[2][t] = bc + 4.f * de;
                o[3][t] = bmc + 8.f * dme + f[t];
            }
            float* __restrict y = yr[i] + 4 * t0;
            for (std::size_t t = 0; t < nt; ++t)
                for (std::size_t q = 0; q < 4; ++q) y[4 * t + q] = o[q][t];
        }
    }
}

/// G applied to three values a, b, d (a filter column, or a row of G g): out[k·os], k < 6.
inline void winograd4G(float a, float b, float d, float* out, std::size_t os) {
    constexpr float s6 = 1.f / 6.f, s12 = 1.f / 12.f, s24 = 1.f / 24.f;
    out[0] = 0.25f * a;
    out[os] = -s6 * (a + b + d);
    out[2 * os] = -s6 * (a - b + d);
    out[3 * os] = s24 * a + s12 * b + s6 * d;
    out[4 * os] = s24 * a - s12 * b + s6 * d;
    out[5 * os] = d;
}

void winograd4Weights(const float* w, std::size_t ws, std::size_t n, float* u, std::size_t us) {
    for (std::size_t c0 = 0; c0 < n; c0 += kWinoChunk) {
        const std::size_t nc = n - c0 < kWinoChunk ? n - c0 : kWinoChunk;
        float g[9][kWinoChunk];
        for (std::size_t c = 0; c < nc; ++c)
            for (std::size_t k = 0; k < 9; ++k) g[k][c] = w[(c0 + c) * ws + k];
        float gg[6][3][kWinoChunk];  // G g
        for (std::size_t k = 0; k < 3; ++k)
            for (std::size_t c = 0; c < nc; ++c) winograd4G(g[k][c], g[3 + k][c], g[6 + k][c], &gg[0][k][c], 3 * kWinoChunk);
        for (std::size_t i = 0; i < 6; ++i)  // (G g) Gᵀ
            for (std::size_t c = 0; c < nc; ++c) winograd4G(gg[i][0][c], gg[i][1][c], gg[i][2][c], u + 6 * i * us + c0 + c, us);
    }
}
