// policy/int4_mlp.cc: see int4_mlp.h.
//
// Hot path: the inner loops run over a layer's outputs with the weights
// stored input-major as int32 (columns_), which compilers turn into SIMD
// multiply-adds; no allocation on the scoring path.
#include "policy/int4_mlp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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
  limit_.clear();
  batch_ok_ = true;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const MlpLayer& L = layers_[l];
    std::vector<int32_t> col(static_cast<size_t>(L.inputs) * L.outputs);
    for (int j = 0; j < L.outputs; ++j) {
      for (int i = 0; i < L.inputs; ++i) col[i * L.outputs + j] = L.weights[j * L.inputs + i];
    }
    columns_.push_back(std::move(col));
    std::vector<int32_t> limit(L.outputs, 0);
    if (l + 1 < layers_.size()) {
      for (int j = 0; j < L.outputs; ++j) {
        // (acc * mult) >> shift >= 127 exactly when acc >= ceil(127 * 2^shift / mult).
        const int64_t top = int64_t{127} << L.shift[j];
        const int64_t m = L.mult[j];
        const int64_t t = m == 0 ? 0 : (top + m - 1) / m;
        if (t * m >= (int64_t{1} << 31)) batch_ok_ = false;
        limit[j] = static_cast<int32_t>(std::min<int64_t>(t, INT32_MAX));
      }
    }
    limit_.push_back(std::move(limit));
  }
  avx2_ = batch_ok_ && IsShipShape() && layers_[0].inputs >= 16 && KernelAvx2Available();
  if (avx2_) {
    const MlpLayer& L0 = layers_[0];
    const MlpLayer& L1 = layers_[1];
    const MlpLayer& L2 = layers_[2];
    const int off = L0.inputs - 16;  // the candidate features come last
    auto pair = [](int8_t a, int8_t b) {
      return static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint8_t>(a)) |
                                  static_cast<uint16_t>(static_cast<uint8_t>(b)) << 8);
    };
    for (int j = 0; j < 16; ++j) {
      for (int q = 0; q < 8; ++q) {
        kernel_.pair0[j][q] = pair(L0.weights[j * L0.inputs + off + 2 * q],
                                   L0.weights[j * L0.inputs + off + 2 * q + 1]);
      }
      kernel_.bias0[j] = L0.bias[j];
      kernel_.mult0[j] = L0.mult[j];
      kernel_.limit0[j] = limit_[0][j];
      kernel_.shift0[j] = L0.shift[j];
    }
    for (int j = 0; j < 8; ++j) {
      for (int q = 0; q < 8; ++q) {
        kernel_.pair1[j][q] = pair(L1.weights[j * 16 + 2 * q], L1.weights[j * 16 + 2 * q + 1]);
      }
      kernel_.bias1[j] = L1.bias[j];
      kernel_.mult1[j] = L1.mult[j];
      kernel_.limit1[j] = limit_[1][j];
      kernel_.shift1[j] = L1.shift[j];
      kernel_.w2[j] = L2.weights[j];
    }
    kernel_.bias2 = L2.bias[0];
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

namespace {

// Candidates scored together: the batched kernel keeps one 16-bit lane per
// candidate, so every loop below runs over lanes with a loop-invariant
// weight or scale and compiles to SIMD (SSE2 on x86-64, NEON on ARM).
constexpr int kLanes = 16;

// out[j][lane] = requantized(acc) of row j for each lane, where
// acc = init[j] + bias[j] + sum_i w[j][i] * in[i][lane]. Exact: inputs are
// in [-127, 127], w in [-8, 7] and there are at most 32 of them, so the
// 16-bit sums stay within +-32512; the clamp to limit keeps acc * mult
// below 2^31.
template <int kRows, int kInputs>
inline void DenseRelu(const int8_t* w, int w_stride, const int16_t (*in)[kLanes],
                      const int16_t* init, const MlpLayer& L, const int32_t* limit,
                      int16_t (*out)[kLanes]) {
  for (int j = 0; j < kRows; ++j) {
    int16_t acc[kLanes];
    for (int k = 0; k < kLanes; ++k) acc[k] = init[j];
    const int8_t* row = w + j * w_stride;
    for (int i = 0; i < kInputs; ++i) {
      const int16_t wi = row[i];
      for (int k = 0; k < kLanes; ++k) acc[k] = static_cast<int16_t>(acc[k] + wi * in[i][k]);
    }
    const int32_t bias = L.bias[j], mult = L.mult[j], lim = limit[j];
    const int shift = L.shift[j];
    for (int k = 0; k < kLanes; ++k) {
      int32_t v = acc[k] + bias;
      v = v < 0 ? 0 : v;
      v = v > lim ? lim : v;
      v = (v * mult) >> shift;
      out[j][k] = static_cast<int16_t>(v > 127 ? 127 : v);
    }
  }
}

// One block of kLanes candidates through the 16 -> 16 -> 8 -> 1 part of the
// shipped shape (the first layer's shared prefix already in shared).
// Returns false, computing nothing, if a feature is -128.
bool ScoreBlock(const Int4Mlp& mlp, const int32_t* const* limits, const int16_t* shared,
                const int8_t* const* features, int n, int prefix_len, int32_t* scores) {
  const MlpLayer& L0 = mlp.layers()[0];
  const MlpLayer& L1 = mlp.layers()[1];
  const MlpLayer& L2 = mlp.layers()[2];
  alignas(32) int8_t rows[kLanes][16] = {};
  for (int k = 0; k < n; ++k) std::memcpy(rows[k], features[k], 16);
  alignas(32) int16_t x[16][kLanes];
  int16_t lowest = 0;
  for (int i = 0; i < 16; ++i) {
    for (int k = 0; k < kLanes; ++k) {
      x[i][k] = rows[k][i];
      lowest = std::min<int16_t>(lowest, x[i][k]);
    }
  }
  if (lowest == -128) return false;
  alignas(32) int16_t h1[16][kLanes];
  alignas(32) int16_t h2[8][kLanes];
  static const int16_t kZeros[8] = {};
  DenseRelu<16, 16>(L0.weights.data() + prefix_len, L0.inputs, x, shared, L0, limits[0], h1);
  DenseRelu<8, 16>(L1.weights.data(), L1.inputs, h1, kZeros, L1, limits[1], h2);
  int32_t out[kLanes];
  for (int k = 0; k < kLanes; ++k) out[k] = L2.bias[0];
  for (int j = 0; j < 8; ++j) {
    const int32_t wj = L2.weights[j];
    for (int k = 0; k < kLanes; ++k) out[k] += wj * h2[j][k];
  }
  std::memcpy(scores, out, sizeof(int32_t) * n);
  return true;
}

}  // namespace

void Int4Mlp::ScoreBatched(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                           int suffix_len, int count, int32_t* scores) const {
  // The 16-bit sums need every input above -128; an input of -128 (never
  // produced by the feature code) sends the decision to the general path.
  bool has_min = false;
  int32_t shared32[16] = {};
  const int32_t* col = columns_[0].data();  // input-major: col[i * 16 + j]
  for (int i = 0; i < prefix_len; ++i) {
    has_min |= prefix[i] == -128;
    for (int j = 0; j < 16; ++j) shared32[j] += col[i * 16 + j] * prefix[i];
  }
  int16_t shared[16];
  for (int j = 0; j < 16; ++j) shared[j] = static_cast<int16_t>(shared32[j]);
  const int32_t* limits[2] = {limit_[0].data(), limit_[1].data()};
  for (int base = 0; base < count && !has_min; base += kLanes) {
    const int n = std::min(kLanes, count - base);
    if (avx2_ && ScoreBlockAvx2(kernel_, shared, suffixes + base, n, scores + base)) continue;
    has_min = !ScoreBlock(*this, limits, shared, suffixes + base, n, prefix_len, scores + base);
  }
  if (has_min) ScoreGeneral(prefix, prefix_len, suffixes, suffix_len, count, scores);
}

void Int4Mlp::ScoreShared(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                          int suffix_len, int count, int32_t* scores) const {
  if (batch_ok_ && IsShipShape() && suffix_len == 16 && prefix_len + suffix_len == layers_[0].inputs) {
    ScoreBatched(prefix, prefix_len, suffixes, suffix_len, count, scores);
    return;
  }
  ScoreGeneral(prefix, prefix_len, suffixes, suffix_len, count, scores);
}

void Int4Mlp::ScoreGeneral(const int8_t* prefix, int prefix_len, const int8_t* const* suffixes,
                           int suffix_len, int count, int32_t* scores) const {
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

const char* Int4Mlp::KernelName() const {
  if (!batch_ok_ || !IsShipShape()) return "general";
  return avx2_ ? "avx2" : "portable";
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
