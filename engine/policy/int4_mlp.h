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

  // The same network evaluated in double precision with the dequantized
  // weights (test reference; never used by the engine).
  double ScoreFloat(const int8_t* x) const;

 private:
  int32_t Finish(int32_t* acc) const;
  // The shipped shape (<= 32 -> 16 -> 8 -> 1) has a fixed-width kernel.
  bool IsShipShape() const;
  void ScoreShapedFast(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                       int suffix_len, int count, int32_t* scores) const;
  std::vector<MlpLayer> layers_;
  // Each layer's weights transposed (input-major) and widened to int32,
  // so the inner loop runs over outputs and vectorizes.
  std::vector<std::vector<int32_t>> columns_;
  std::vector<std::vector<int16_t>> columns16_;  // the same as int16
};

}  // namespace firn

#endif  // FIRN_POLICY_INT4_MLP_H_
