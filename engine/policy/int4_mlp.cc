// policy/int4_mlp.cc: see int4_mlp.h.
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

// acc[j] += sum_i w[j][i] * x[i] for rows [0, rows). Hot: written so the
// compiler vectorizes the inner loop (int8 x int8 -> int32).
inline void MatVecAdd(const int8_t* w, int rows, int cols, int stride, const int8_t* x,
                      int32_t* acc) {
  for (int j = 0; j < rows; ++j) {
    const int8_t* row = w + j * stride;
    int32_t s = 0;
    for (int i = 0; i < cols; ++i) s += static_cast<int32_t>(row[i]) * x[i];
    acc[j] += s;
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
    MatVecAdd(N.weights.data(), N.outputs, N.inputs, N.inputs, act, next);
    std::copy(next, next + N.outputs, acc);
  }
  return acc[0];
}

int32_t Int4Mlp::Score(const int8_t* x) const {
  const MlpLayer& L = layers_[0];
  int32_t acc[kMaxWidth];
  for (int j = 0; j < L.outputs; ++j) acc[j] = L.bias[j];
  MatVecAdd(L.weights.data(), L.outputs, L.inputs, L.inputs, x, acc);
  if (layers_.size() == 1) return acc[0];
  return Finish(acc);
}

void Int4Mlp::ScoreShared(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                          int suffix_len, int count, int32_t* scores) const {
  const MlpLayer& L = layers_[0];
  int32_t shared[kMaxWidth];
  for (int j = 0; j < L.outputs; ++j) shared[j] = L.bias[j];
  MatVecAdd(L.weights.data(), L.outputs, prefix_len, L.inputs, prefix, shared);
  for (int c = 0; c < count; ++c) {
    int32_t acc[kMaxWidth];
    std::copy(shared, shared + L.outputs, acc);
    MatVecAdd(L.weights.data() + prefix_len, L.outputs, suffix_len, L.inputs, suffixes[c], acc);
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
