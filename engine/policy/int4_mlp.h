// policy/int4_mlp.h: the integer-only inference kernel of the learned
// compaction policy.
//
// A multilayer perceptron with int4 weights (stored packed two per byte in
// the model file, unpacked to int8 at load), int8 activations, int32
// accumulation and biases, and requantization of each row by an integer
// multiplier and right shift:
//     acc_j = bias_j + sum_i w_ji * x_i                      (int32)
//     y_j   = clamp((acc_j * mult_j) >> shift_j, 0, 127)     (ReLU, int8)
// The last layer has one row and returns acc as the score. No floating
// point is used on the inference path (hot: called once per candidate for
// every decision; it does not allocate).
// Thread safety: a Int4Mlp is immutable after Init; Score is const.
#ifndef FIRN_POLICY_INT4_MLP_H_
#define FIRN_POLICY_INT4_MLP_H_

#include <cstdint>
#include <vector>

#include "firn/status.h"
#include "policy/int4_kernel.h"

namespace firn {

struct MlpLayer {
  int inputs = 0;
  int outputs = 0;
  std::vector<int8_t> weights;  // outputs x inputs, each in [-8, 7]
  std::vector<int32_t> bias;    // outputs
  std::vector<int32_t> mult;    // outputs (unused on the last layer)
  std::vector<uint8_t> shift;   // outputs (unused on the last layer)
};

class Int4Mlp {
 public:
  static constexpr int kMaxWidth = 64;

  // Checks shapes (layer i's outputs == layer i+1's inputs, last layer one
  // output, widths <= kMaxWidth, weights in [-8, 7], shifts <= 31).
  Status Init(std::vector<MlpLayer> layers);

  const std::vector<MlpLayer>& layers() const { return layers_; }
  int inputs() const { return layers_.empty() ? 0 : layers_[0].inputs; }
  size_t NumWeights() const;

  // Score of one input vector (length inputs()).
  int32_t Score(const int8_t* x) const;

  // Scores many candidates that share a prefix of the input (the global
  // features): prefix_len values common to all, then each candidate's own.
  // The first layer's contribution of the shared prefix is computed once.
  void ScoreShared(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                   int suffix_len, int count, int32_t* scores) const;

  // Which batched kernel ScoreShared uses ("avx2", "portable" or
  // "general"); tests can turn the AVX2 kernel off to check the others.
  const char* KernelName() const;
  void DisableSimdForTesting() { avx2_ = false; }

  // The same network evaluated in double precision with the dequantized
  // weights (test reference; never used by the engine).
  double ScoreFloat(const int8_t* x) const;

 private:
  int32_t Finish(int32_t* acc) const;
  // The shipped shape (<= 32 -> 16 -> 8 -> 1) has a batched kernel when
  // every hidden row's requantization fits 32-bit arithmetic (batch_ok_).
  bool IsShipShape() const;
  void ScoreBatched(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                    int suffix_len, int count, int32_t* scores) const;
  void ScoreGeneral(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                    int suffix_len, int count, int32_t* scores) const;

  std::vector<MlpLayer> layers_;
  // Each layer's weights transposed (input-major) and widened to int32,
  // so the inner loop of the general path runs over outputs and vectorizes.
  std::vector<std::vector<int32_t>> columns_;
  // Batched kernel: for every hidden row, the accumulator value at and
  // above which the activation saturates at 127 (so acc * mult stays below
  // 2^31 once acc is clamped to it). Invariant: batch_ok_ implies
  // limit_[l][j] * mult[j] < 2^31 for every hidden row.
  std::vector<std::vector<int32_t>> limit_;
  bool batch_ok_ = false;
  // The same model laid out for the AVX2 kernel; used when avx2_.
  KernelParams kernel_{};
  bool avx2_ = false;
};

}  // namespace firn

#endif  // FIRN_POLICY_INT4_MLP_H_
