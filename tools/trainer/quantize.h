// tools/trainer/quantize.h: the trainer's genome (float MLP parameters)
// and its quantization into the engine's Int4Mlp.
//
// Genome layout, layer after layer: the weights row by row (outputs x
// inputs), then the biases. Values are in the units of the integer network:
// inputs and hidden activations are 0..127, so a hidden unit computes
// clamp(relu(b + w.x), 0, 127) in float, and the quantized network computes
// the same thing with int4 weights. Per row, scale s = max|w| / 7; weights
// round(w / s) clamped to [-8, 7]; bias round(b / s) (int32); hidden rows
// requantize by mult / 2^shift ~= s (mult in [2^14, 2^15) when possible).
// The last layer's score is the raw accumulator (its scale does not change
// an argmax, so only its weights' ratios matter).
// Thread safety: pure functions.
#ifndef FIRN_TOOLS_TRAINER_QUANTIZE_H_
#define FIRN_TOOLS_TRAINER_QUANTIZE_H_

#include <vector>

#include "policy/int4_mlp.h"
#include "policy/model.h"

namespace firn::trainer {

// 32 inputs (16 global + 16 candidate) -> 16 -> 8 -> 1.
const std::vector<int>& NetworkShape();
size_t GenomeSize(const std::vector<int>& shape);

// Quantizes a genome into layers ready for Int4Mlp::Init.
std::vector<MlpLayer> QuantizeGenome(const std::vector<int>& shape, const std::vector<float>& genome);
// A PolicyModel for the feature schema of policy/features.h.
Status GenomeToModel(const std::vector<int>& shape, const std::vector<float>& genome,
                     PolicyModel* model);

// The genome a quantized network stands for (weights and biases times
// their row's scale mult / 2^shift): the inverse of QuantizeGenome up to
// rounding, so training can start from a shipped model. InvalidArgument
// if the network's shape is not `shape`.
Status ModelToGenome(const std::vector<int>& shape, const Int4Mlp& mlp, std::vector<float>* genome);

// The float network the genome describes (for tests of the quantizer).
double FloatScore(const std::vector<int>& shape, const std::vector<float>& genome, const int8_t* x);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_QUANTIZE_H_
