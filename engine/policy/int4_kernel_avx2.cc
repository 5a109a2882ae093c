// policy/int4_kernel_avx2.cc: see int4_kernel.h.
//
// Lanes are candidates. Each first-layer row is 8 multiply-add-pairs of
// unsigned features by signed int4 weights (vpmaddubsw: pairs sum to at most
// 2 * 127 * 8, so it never saturates) summed in 16 bits (at most 32512 in
// magnitude with the shared part), then requantized in 32-bit lanes with the
// row's uniform multiplier and shift.
#include "policy/int4_kernel.h"

#include <cstring>

// Not in the small library (-Dsmall=true defines FIRN_SMALL): the AVX2
// kernel and the CPU feature detection it needs take about 6 KB of code.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(FIRN_SMALL)
#include <immintrin.h>
#define FIRN_KERNEL_AVX2 1
#endif

namespace firn {

#ifdef FIRN_KERNEL_AVX2

namespace {

// Transposes 8 rows of 8 16-bit words: out[p] word r = in[r] word p.
__attribute__((target("avx2"))) inline void Transpose8x8(const __m128i* in, __m128i* out) {
  __m128i a[8], b[8];
  for (int i = 0; i < 4; ++i) {
    a[2 * i] = _mm_unpacklo_epi16(in[2 * i], in[2 * i + 1]);
    a[2 * i + 1] = _mm_unpackhi_epi16(in[2 * i], in[2 * i + 1]);
  }
  b[0] = _mm_unpacklo_epi32(a[0], a[2]);
  b[1] = _mm_unpackhi_epi32(a[0], a[2]);
  b[2] = _mm_unpacklo_epi32(a[1], a[3]);
  b[3] = _mm_unpackhi_epi32(a[1], a[3]);
  b[4] = _mm_unpacklo_epi32(a[4], a[6]);
  b[5] = _mm_unpackhi_epi32(a[4], a[6]);
  b[6] = _mm_unpacklo_epi32(a[5], a[7]);
  b[7] = _mm_unpackhi_epi32(a[5], a[7]);
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = _mm_unpacklo_epi64(b[i], b[i + 4]);
    out[2 * i + 1] = _mm_unpackhi_epi64(b[i], b[i + 4]);
  }
}

// min((clamp(acc + bias, 0, limit) * mult) >> shift, 127) for 16 lanes.
__attribute__((target("avx2"))) inline __m256i Requantize16(__m256i acc, int32_t bias,
                                                            int32_t mult, int32_t limit,
                                                            int32_t shift) {
  const __m256i vb = _mm256_set1_epi32(bias), vm = _mm256_set1_epi32(mult);
  const __m256i vl = _mm256_set1_epi32(limit), zero = _mm256_setzero_si256();
  const __m256i top = _mm256_set1_epi32(127);
  const __m128i sh = _mm_cvtsi32_si128(shift);
  __m256i lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(acc));
  __m256i hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(acc, 1));
  lo = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(lo, vb), zero), vl);
  hi = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(hi, vb), zero), vl);
  lo = _mm256_min_epi32(_mm256_sra_epi32(_mm256_mullo_epi32(lo, vm), sh), top);
  hi = _mm256_min_epi32(_mm256_sra_epi32(_mm256_mullo_epi32(hi, vm), sh), top);
  // packs works within 128-bit halves; the permute restores lane order.
  return _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
}

}  // namespace

bool KernelAvx2Available() { return __builtin_cpu_supports("avx2"); }

__attribute__((target("avx2"))) bool ScoreBlockAvx2(const KernelParams& p, const int16_t* shared,
                                                    const int8_t* const* features, int n,
                                                    int32_t* scores) {
  // Candidate rows (16 bytes each; missing candidates are zeros).
  __m128i rows[16];
  __m128i any = _mm_setzero_si128();
  for (int k = 0; k < 16; ++k) {
    rows[k] = k < n ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(features[k]))
                    : _mm_setzero_si128();
    any = _mm_or_si128(any, rows[k]);
  }
  if (_mm_movemask_epi8(any) != 0) return false;  // a negative feature
  // x[q]: lane k holds candidate k's features 2q (low byte) and 2q + 1.
  __m128i lo[8], hi[8];
  Transpose8x8(rows, lo);
  Transpose8x8(rows + 8, hi);
  __m256i x[8];
  for (int q = 0; q < 8; ++q) x[q] = _mm256_set_m128i(hi[q], lo[q]);

  __m256i h1[16];
  for (int j = 0; j < 16; ++j) {
    __m256i acc = _mm256_set1_epi16(shared[j]);
    for (int q = 0; q < 8; ++q) {
      acc = _mm256_add_epi16(acc, _mm256_maddubs_epi16(x[q], _mm256_set1_epi16(p.pair0[j][q])));
    }
    h1[j] = Requantize16(acc, p.bias0[j], p.mult0[j], p.limit0[j], p.shift0[j]);
  }
  __m256i x2[8];
  for (int q = 0; q < 8; ++q) {
    x2[q] = _mm256_or_si256(h1[2 * q], _mm256_slli_epi16(h1[2 * q + 1], 8));
  }
  __m256i out = _mm256_setzero_si256();
  for (int j = 0; j < 8; ++j) {
    __m256i acc = _mm256_setzero_si256();
    for (int q = 0; q < 8; ++q) {
      acc = _mm256_add_epi16(acc, _mm256_maddubs_epi16(x2[q], _mm256_set1_epi16(p.pair1[j][q])));
    }
    __m256i h2 = Requantize16(acc, p.bias1[j], p.mult1[j], p.limit1[j], p.shift1[j]);
    // |sum of 8 products| <= 8 * 127 * 8: exact in 16 bits.
    out = _mm256_add_epi16(out, _mm256_mullo_epi16(h2, _mm256_set1_epi16(p.w2[j])));
  }
  const __m256i b = _mm256_set1_epi32(p.bias2);
  alignas(32) int32_t result[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(result),
                     _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(out)), b));
  _mm256_store_si256(reinterpret_cast<__m256i*>(result + 8),
                     _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(out, 1)), b));
  std::memcpy(scores, result, sizeof(int32_t) * n);
  return true;
}

#else  // !FIRN_KERNEL_AVX2

bool KernelAvx2Available() { return false; }

bool ScoreBlockAvx2(const KernelParams&, const int16_t*, const int8_t* const*, int, int32_t*) {
  return false;
}

#endif

}  // namespace firn
