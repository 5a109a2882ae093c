// policy/int4_kernel.h: the batched integer kernel for the shipped network
// shape (16 global + 16 candidate features -> 16 -> 8 -> 1), internal to
// Int4Mlp.
//
// KernelParams holds one model's weights rearranged for SIMD at load time;
// ScoreBlockAvx2 scores up to 16 candidates at once with one 16-bit lane
// per candidate (x86-64 with AVX2, chosen at run time; not in the small
// library, FIRN_SMALL, which scores on the portable path). The result is the
// same integer as Int4Mlp::Score, bit for bit; policy_test checks it.
// Thread safety: KernelParams is immutable after it is built.
#ifndef FIRN_POLICY_INT4_KERNEL_H_
#define FIRN_POLICY_INT4_KERNEL_H_

#include <cstdint>

namespace firn {

struct KernelParams {
  // Weights two per 16-bit word: w[2p] in the low byte, w[2p + 1] in the
  // high byte, for the first layer's 16 candidate inputs and the second
  // layer's 16 inputs.
  int16_t pair0[16][8];
  int16_t pair1[8][8];
  // Requantization of the hidden rows: v = clamp(acc + bias, 0, limit);
  // activation = min((v * mult) >> shift, 127). limit * mult < 2^31.
  int32_t bias0[16], mult0[16], limit0[16], shift0[16];
  int32_t bias1[8], mult1[8], limit1[8], shift1[8];
  int16_t w2[8];
  int32_t bias2;
};

// True when this CPU can run ScoreBlockAvx2.
bool KernelAvx2Available();

// Scores n (1..16) candidates: shared[j] is the first layer's sum over the
// global features for row j; features[k] points to candidate k's 16
// features. Returns false, writing nothing, if a feature is negative (the
// kernel's byte arithmetic needs features in [0, 127]) or AVX2 is absent.
bool ScoreBlockAvx2(const KernelParams& p, const int16_t* shared, const int8_t* const* features,
                    int n, int32_t* scores);

}  // namespace firn

#endif  // FIRN_POLICY_INT4_KERNEL_H_
