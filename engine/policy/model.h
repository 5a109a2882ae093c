// policy/model.h: the policy model file (docs/format-policy-model.md) and
// the model compiled into the library.
//
// A model is an Int4Mlp plus the feature schema it was trained for. Files
// are checked completely before use: magic, format version, schema
// version, shapes and the XXH3 checksum; any problem is an error naming
// the file and what is wrong, never a half-loaded model.
// Thread safety: PolicyModel is immutable once decoded.
#ifndef FIRN_POLICY_MODEL_H_
#define FIRN_POLICY_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firn/status.h"
#include "policy/int4_mlp.h"

namespace firn {

class Env;

constexpr uint32_t kPolicyModelMagic = 0x504E5246;  // "FRNP" little-endian
constexpr uint16_t kPolicyModelFormatVersion = 1;

struct PolicyModel {
  uint16_t schema_version = 0;
  uint16_t global_features = 0;
  uint16_t candidate_features = 0;
  Int4Mlp mlp;
  size_t encoded_bytes = 0;  // size of the file it came from
  uint64_t id = 0;           // the file's XXH3 checksum: names this model
  std::string source;        // "built-in policy model" or the file's path
};

// Serializes a model (weights packed two per byte).
std::string EncodePolicyModel(const PolicyModel& model);

// Parses and checks a model. source names it in messages. Corruption for
// a damaged file (bad magic, checksum, truncation: with the offset);
// InvalidArgument for a newer format version or another feature schema.
Status DecodePolicyModel(std::string_view bytes, const std::string& source,
                         PolicyModel* model);

// Reads and decodes a model file. NotFound-like IOError if it is missing.
Status LoadPolicyModelFile(Env* env, const std::string& path, PolicyModel* model);

// The model compiled into the library (engine/policy/default_model.inc).
// NotFound if this build carries none.
Status DefaultPolicyModel(std::shared_ptr<const PolicyModel>* model);

}  // namespace firn

#endif  // FIRN_POLICY_MODEL_H_
