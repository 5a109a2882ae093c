// policy/int4_mlp.cc: see int4_mlp.h.
//
// Hot path: the inner loops run over a layer's outputs with the weights
// stored input-major as int32 (columns_), which compilers turn into SIMD
// multiply-adds; no allocation on the scoring path.
#include "policy/int4_mlp.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace firn {

namespace {

inline int8_t Requantize(int32_t acc, int32_t mult, uint8_t shift) {
  if (acc <= 0) return 0;  // ReLU
  int64_t v = (static_cast<int64_t>(acc) * mult) >> shift;
  return static_cast<int8_t>(v > 127 ? 127 : v);
}

// acc[j] += sum_{i < cols} col[i][j] * x[i] for j < rows, where col holds
// the weights input-major (col[i * rows + j] = w[j][i]).
inline void MatVecAdd(const int32_t* col, int rows, int cols, const int8_t* x, int32_t* acc) {
  for (int i = 0; i < cols; ++i) {
    const int32_t xi = x[i];
    const int32_t* c = col + i * rows;
    for (int j = 0; j < rows; ++j) acc[j] += c[j] * xi;
  }
}

// The same with compile-time widths and 16-bit lanes. Exact: |w| <= 8 and
// 0 <= x <= 127, so a sum of at most 32 products stays within int16.
template <int kRows>
inline void MatVecAdd16(const int16_t* col, int cols, const int8_t* x, int16_t* acc) {
  for (int i = 0; i < cols; ++i) {
    const int16_t xi = x[i];
    const int16_t* c = col + i * kRows;
    for (int j = 0; j < kRows; ++j) acc[j] = static_cast<int16_t>(acc[j] + c[j] * xi);
  }
}

}  // namespace

Status Int4Mlp::Init(std::vector<MlpLayer> layers) {
  if (layers.empty()) return Status::InvalidArgument("policy model: no layers");
  for (size_t l = 0; l < layers.size(); ++l) {
    const MlpLayer& L = layers[l];
    std::string name = "policy model layer " + std::to_string(l);
    if (L.inputs <= 0 || L.outputs <= 0 || L.inputs > kMaxWidth || L.outputs > kMaxWidth) {
      return Status::InvalidArgument(name + ": shape out of range");
    }
    if (l > 0 && layers[l - 1].outputs != L.inputs) {
      return Status::InvalidArgument(name + ": inputs do not match the previous layer");
    }
    if (L.weights.size() != static_cast<size_t>(L.inputs) * L.outputs ||
        L.bias.size() != static_cast<size_t>(L.outputs) ||
        L.mult.size() != static_cast<size_t>(L.outputs) ||
        L.shift.size() != static_cast<size_t>(L.outputs)) {
      return Status::InvalidArgument(name + ": array sizes do not match the shape");
    }
    for (int8_t w : L.weights) {
      if (w < -8 || w > 7) return Status::InvalidArgument(name + ": weight outside int4");
    }
    for (size_t j = 0; j < L.shift.size(); ++j) {
      if (L.shift[j] > 31 || L.mult[j] < 0) {
        return Status::InvalidArgument(name + ": bad requantization scale");
      }
    }
  }
  if (layers.back().outputs != 1) {
    return Status::InvalidArgument("policy model: last layer must have one output");
  }
  layers_ = std::move(layers);
  columns_.clear();
  columns16_.clear();
  for (const MlpLayer& L : layers_) {
    std::vector<int32_t> col(static_cast<size_t>(L.inputs) * L.outputs);
    for (int j = 0; j < L.outputs; ++j) {
      for (int i = 0; i < L.inputs; ++i) col[i * L.outputs + j] = L.weights[j * L.inputs + i];
    }
    columns16_.emplace_back(col.begin(), col.end());
    columns_.push_back(std::move(col));
  }
  return Status::OK();
}

size_t Int4Mlp::NumWeights() const {
  size_t n = 0;
  for (const MlpLayer& L : layers_) n += L.weights.size();
  return n;
}

int32_t Int4Mlp::Finish(int32_t* acc) const {
  // acc holds the first layer's accumulators (bias included).
  int8_t act[kMaxWidth];
  int32_t next[kMaxWidth];
  for (size_t l = 0; l + 1 < layers_.size(); ++l) {
    const MlpLayer& L = layers_[l];
    for (int j = 0; j < L.outputs; ++j) act[j] = Requantize(acc[j], L.mult[j], L.shift[j]);
    const MlpLayer& N = layers_[l + 1];
    for (int j = 0; j < N.outputs; ++j) next[j] = N.bias[j];
    MatVecAdd(columns_[l + 1].data(), N.outputs, N.inputs, act, next);
    std::copy(next, next + N.outputs, acc);
  }
  return acc[0];
}

int32_t Int4Mlp::Score(const int8_t* x) const {
  const MlpLayer& L = layers_[0];
  int32_t acc[kMaxWidth];
  for (int j = 0; j < L.outputs; ++j) acc[j] = L.bias[j];
  MatVecAdd(columns_[0].data(), L.outputs, L.inputs, x, acc);
  if (layers_.size() == 1) return acc[0];
  return Finish(acc);
}

bool Int4Mlp::IsShipShape() const {
  return layers_.size() == 3 && layers_[0].inputs <= 32 && layers_[0].outputs == 16 &&
         layers_[1].outputs == 8 && layers_[2].outputs == 1;
}

void Int4Mlp::ScoreShapedFast(const int8_t* prefix, int prefix_len,
                              const int8_t* const* suffixes, int suffix_len, int count,
                              int32_t* scores) const {
  const MlpLayer& L0 = layers_[0];
  const MlpLayer& L1 = layers_[1];
  const MlpLayer& L2 = layers_[2];
  const int16_t* c0 = columns16_[0].data();
  const int16_t* c1 = columns16_[1].data();
  alignas(32) int16_t shared[16] = {};
  MatVecAdd16<16>(c0, prefix_len, prefix, shared);
  for (int c = 0; c < count; ++c) {
    alignas(32) int16_t acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = shared[j];
    MatVecAdd16<16>(c0 + prefix_len * 16, suffix_len, suffixes[c], acc);
    alignas(32) int8_t act[16];
    for (int j = 0; j < 16; ++j) act[j] = Requantize(acc[j] + L0.bias[j], L0.mult[j], L0.shift[j]);
    alignas(32) int16_t acc2[8] = {};
    MatVecAdd16<8>(c1, 16, act, acc2);
    int32_t score = L2.bias[0];
    for (int j = 0; j < 8; ++j) {
      score += L2.weights[j] * Requantize(acc2[j] + L1.bias[j], L1.mult[j], L1.shift[j]);
    }
    scores[c] = score;
  }
}

void Int4Mlp::ScoreShared(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                          int suffix_len, int count, int32_t* scores) const {
  if (IsShipShape() && prefix_len + suffix_len == layers_[0].inputs) {
    ScoreShapedFast(prefix, prefix_len, suffixes, suffix_len, count, scores);
    return;
  }
  const MlpLayer& L = layers_[0];
  int32_t shared[kMaxWidth];
  for (int j = 0; j < L.outputs; ++j) shared[j] = L.bias[j];
  MatVecAdd(columns_[0].data(), L.outputs, prefix_len, prefix, shared);
  for (int c = 0; c < count; ++c) {
    int32_t acc[kMaxWidth];
    std::copy(shared, shared + L.outputs, acc);
    MatVecAdd(columns_[0].data() + prefix_len * L.outputs, L.outputs, suffix_len, suffixes[c],
              acc);
    scores[c] = layers_.size() == 1 ? acc[0] : Finish(acc);
  }
}

double Int4Mlp::ScoreFloat(const int8_t* x) const {
  std::vector<double> in(x, x + inputs());
  for (size_t l = 0; l < layers_.size(); ++l) {
    const MlpLayer& L = layers_[l];
    std::vector<double> out(L.outputs);
    for (int j = 0; j < L.outputs; ++j) {
      double s = L.bias[j];
      for (int i = 0; i < L.inputs; ++i) s += L.weights[j * L.inputs + i] * in[i];
      if (l + 1 < layers_.size()) {
        s = std::max(0.0, s * L.mult[j] / std::ldexp(1.0, L.shift[j]));
      }
      out[j] = s;
    }
    in = std::move(out);
  }
  return in[0];
}

}  // namespace firn
