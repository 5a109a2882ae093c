// tools/trainer/quantize.cc: see quantize.h.
#include "tools/trainer/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "policy/features.h"

namespace firn::trainer {

const std::vector<int>& NetworkShape() {
  static const std::vector<int> shape = {kGlobalFeatures + kCandidateFeatures, 16, 8, 1};
  return shape;
}

size_t GenomeSize(const std::vector<int>& shape) {
  size_t n = 0;
  for (size_t l = 0; l + 1 < shape.size(); ++l) {
    n += static_cast<size_t>(shape[l]) * shape[l + 1] + shape[l + 1];
  }
  return n;
}

std::vector<MlpLayer> QuantizeGenome(const std::vector<int>& shape, const std::vector<float>& g) {
  std::vector<MlpLayer> layers;
  size_t p = 0;
  for (size_t l = 0; l + 1 < shape.size(); ++l) {
    MlpLayer L;
    L.inputs = shape[l];
    L.outputs = shape[l + 1];
    L.weights.resize(static_cast<size_t>(L.inputs) * L.outputs);
    L.bias.resize(L.outputs);
    L.mult.resize(L.outputs);
    L.shift.resize(L.outputs);
    const float* w = g.data() + p;
    const float* b = w + static_cast<size_t>(L.inputs) * L.outputs;
    for (int j = 0; j < L.outputs; ++j) {
      double maxabs = 0;
      for (int i = 0; i < L.inputs; ++i) maxabs = std::max(maxabs, std::fabs(double(w[j * L.inputs + i])));
      double s = maxabs > 1e-9 ? maxabs / 7.0 : 1e-3;
      for (int i = 0; i < L.inputs; ++i) {
        double q = std::round(w[j * L.inputs + i] / s);
        L.weights[j * L.inputs + i] = static_cast<int8_t>(std::clamp(q, -8.0, 7.0));
      }
      double bq = std::round(b[j] / s);
      L.bias[j] = static_cast<int32_t>(std::clamp(bq, -1e9, 1e9));
      // mult / 2^shift ~= s with mult in [2^14, 2^15) where shift allows.
      int e = static_cast<int>(std::floor(std::log2(s)));
      int shift = std::clamp(14 - e, 0, 31);
      double m = std::round(std::ldexp(s, shift));
      L.mult[j] = static_cast<int32_t>(std::clamp(m, 0.0, 2147483647.0));
      L.shift[j] = static_cast<uint8_t>(shift);
    }
    p += static_cast<size_t>(L.inputs) * L.outputs + L.outputs;
    layers.push_back(std::move(L));
  }
  return layers;
}

Status GenomeToModel(const std::vector<int>& shape, const std::vector<float>& genome,
                     PolicyModel* model) {
  model->schema_version = static_cast<uint16_t>(kFeatureSchemaVersion);
  model->global_features = kGlobalFeatures;
  model->candidate_features = kCandidateFeatures;
  return model->mlp.Init(QuantizeGenome(shape, genome));
}

Status ModelToGenome(const std::vector<int>& shape, const Int4Mlp& mlp, std::vector<float>* genome) {
  const std::vector<MlpLayer>& layers = mlp.layers();
  if (layers.size() + 1 != shape.size()) {
    return Status::InvalidArgument("model has " + std::to_string(layers.size()) +
                                   " layers; the trainer's network has " +
                                   std::to_string(shape.size() - 1));
  }
  genome->assign(GenomeSize(shape), 0.0f);
  size_t p = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const MlpLayer& L = layers[l];
    if (L.inputs != shape[l] || L.outputs != shape[l + 1]) {
      return Status::InvalidArgument("model layer " + std::to_string(l) + " is " +
                                     std::to_string(L.inputs) + "x" + std::to_string(L.outputs) +
                                     "; the trainer's is " + std::to_string(shape[l]) + "x" +
                                     std::to_string(shape[l + 1]));
    }
    float* w = genome->data() + p;
    float* b = w + static_cast<size_t>(L.inputs) * L.outputs;
    for (int j = 0; j < L.outputs; ++j) {
      const double s = std::ldexp(static_cast<double>(L.mult[j]), -static_cast<int>(L.shift[j]));
      for (int i = 0; i < L.inputs; ++i) {
        w[j * L.inputs + i] = static_cast<float>(L.weights[j * L.inputs + i] * s);
      }
      b[j] = static_cast<float>(L.bias[j] * s);
    }
    p += static_cast<size_t>(L.inputs) * L.outputs + L.outputs;
  }
  return Status::OK();
}

double FloatScore(const std::vector<int>& shape, const std::vector<float>& g, const int8_t* x) {
  std::vector<double> in(x, x + shape[0]);
  size_t p = 0;
  for (size_t l = 0; l + 1 < shape.size(); ++l) {
    int ni = shape[l], no = shape[l + 1];
    std::vector<double> out(no);
    for (int j = 0; j < no; ++j) {
      double s = g[p + static_cast<size_t>(ni) * no + j];
      for (int i = 0; i < ni; ++i) s += g[p + static_cast<size_t>(j) * ni + i] * in[i];
      if (l + 2 < shape.size()) s = std::clamp(s, 0.0, 127.0);
      out[j] = s;
    }
    p += static_cast<size_t>(ni) * no + no;
    in = std::move(out);
  }
  return in[0];
}

}  // namespace firn::trainer
