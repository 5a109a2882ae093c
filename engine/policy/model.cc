// policy/model.cc: see model.h. Byte layout in docs/format-policy-model.md.
#include "policy/model.h"

#include "policy/features.h"
#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn {

namespace {

#include "policy/default_model.inc"

constexpr size_t kHeaderBytes = 16;
constexpr size_t kRowBytes = 9;  // fixed32 bias, fixed32 mult, uint8 shift

void PutFixed16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v & 0xff));
  dst->push_back(static_cast<char>(v >> 8));
}

uint16_t DecodeFixed16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) |
                               (static_cast<uint16_t>(static_cast<uint8_t>(p[1])) << 8));
}

}  // namespace

std::string EncodePolicyModel(const PolicyModel& model) {
  std::string out;
  PutFixed32(&out, kPolicyModelMagic);
  PutFixed16(&out, kPolicyModelFormatVersion);
  PutFixed16(&out, model.schema_version);
  PutFixed16(&out, model.global_features);
  PutFixed16(&out, model.candidate_features);
  const std::vector<MlpLayer>& layers = model.mlp.layers();
  out.push_back(static_cast<char>(layers.size()));
  out.append(3, '\0');
  for (const MlpLayer& L : layers) {
    PutFixed16(&out, static_cast<uint16_t>(L.inputs));
    PutFixed16(&out, static_cast<uint16_t>(L.outputs));
    for (int j = 0; j < L.outputs; ++j) {
      PutFixed32(&out, static_cast<uint32_t>(L.bias[j]));
      PutFixed32(&out, static_cast<uint32_t>(L.mult[j]));
      out.push_back(static_cast<char>(L.shift[j]));
    }
    size_t n = L.weights.size();
    for (size_t i = 0; i < n; i += 2) {
      uint8_t lo = static_cast<uint8_t>(L.weights[i]) & 0x0f;
      uint8_t hi = i + 1 < n ? static_cast<uint8_t>(L.weights[i + 1]) & 0x0f : 0;
      out.push_back(static_cast<char>(lo | (hi << 4)));
    }
  }
  PutFixed64(&out, Hash64(out));
  return out;
}

// Largest magnitude of a bias (see DecodePolicyModel).
constexpr int32_t kMaxBias = int32_t{1} << 30;

Status DecodePolicyModel(std::string_view bytes, const std::string& source,
                         PolicyModel* model) {
  auto corrupt = [&](size_t offset, const std::string& what) {
    return Status::Corruption(source + " at offset " + std::to_string(offset) + ": " + what);
  };
  if (bytes.size() < kHeaderBytes + 8) return corrupt(0, "too short for a policy model");
  if (DecodeFixed32(bytes.data()) != kPolicyModelMagic) return corrupt(0, "bad magic");
  uint64_t stored = DecodeFixed64(bytes.data() + bytes.size() - 8);
  if (stored != Hash64(bytes.data(), bytes.size() - 8)) {
    return corrupt(bytes.size() - 8, "checksum mismatch");
  }
  uint16_t version = DecodeFixed16(bytes.data() + 4);
  if (version > kPolicyModelFormatVersion) {
    return Status::InvalidArgument(source + ": policy model format version " +
                                   std::to_string(version) + " is newer than supported " +
                                   std::to_string(kPolicyModelFormatVersion));
  }
  PolicyModel m;
  m.schema_version = DecodeFixed16(bytes.data() + 6);
  m.global_features = DecodeFixed16(bytes.data() + 8);
  m.candidate_features = DecodeFixed16(bytes.data() + 10);
  if (m.schema_version != kFeatureSchemaVersion || m.global_features != kGlobalFeatures ||
      m.candidate_features != kCandidateFeatures) {
    return Status::InvalidArgument(
        source + ": policy model was trained for feature schema " +
        std::to_string(m.schema_version) + " (" + std::to_string(m.global_features) + "+" +
        std::to_string(m.candidate_features) + " features); this firn uses schema " +
        std::to_string(kFeatureSchemaVersion) + " (" + std::to_string(kGlobalFeatures) + "+" +
        std::to_string(kCandidateFeatures) + ")");
  }
  size_t num_layers = static_cast<uint8_t>(bytes[12]);
  size_t pos = kHeaderBytes;
  const size_t end = bytes.size() - 8;
  std::vector<MlpLayer> layers;
  for (size_t l = 0; l < num_layers; ++l) {
    if (pos + 4 > end) return corrupt(pos, "truncated layer header");
    MlpLayer L;
    L.inputs = DecodeFixed16(bytes.data() + pos);
    L.outputs = DecodeFixed16(bytes.data() + pos + 2);
    pos += 4;
    if (L.inputs <= 0 || L.outputs <= 0 || L.inputs > Int4Mlp::kMaxWidth ||
        L.outputs > Int4Mlp::kMaxWidth) {
      return corrupt(pos - 4, "layer shape out of range");
    }
    size_t rows = static_cast<size_t>(L.outputs);
    size_t weights = static_cast<size_t>(L.inputs) * rows;
    if (pos + rows * kRowBytes + (weights + 1) / 2 > end) return corrupt(pos, "truncated layer");
    for (size_t j = 0; j < rows; ++j) {
      // A bias this large would overflow the int32 accumulator it starts
      // (the weighted sum adds at most 8 * 128 * kMaxWidth either way).
      const int32_t bias = static_cast<int32_t>(DecodeFixed32(bytes.data() + pos));
      if (bias > kMaxBias || bias < -kMaxBias) return corrupt(pos, "bias out of range");
      L.bias.push_back(bias);
      L.mult.push_back(static_cast<int32_t>(DecodeFixed32(bytes.data() + pos + 4)));
      L.shift.push_back(static_cast<uint8_t>(bytes[pos + 8]));
      pos += kRowBytes;
    }
    for (size_t i = 0; i < weights; ++i) {
      uint8_t b = static_cast<uint8_t>(bytes[pos + i / 2]);
      uint8_t nib = (i % 2 == 0) ? (b & 0x0f) : (b >> 4);
      L.weights.push_back(static_cast<int8_t>(nib >= 8 ? static_cast<int>(nib) - 16 : nib));
    }
    pos += (weights + 1) / 2;
    layers.push_back(std::move(L));
  }
  if (pos != end) return corrupt(pos, "trailing bytes after the last layer");
  if (!layers.empty() && layers[0].inputs != kGlobalFeatures + kCandidateFeatures) {
    return Status::InvalidArgument(source + ": first layer takes " +
                                   std::to_string(layers[0].inputs) + " inputs, schema has " +
                                   std::to_string(kGlobalFeatures + kCandidateFeatures));
  }
  Status s = m.mlp.Init(std::move(layers));
  if (!s.ok()) return Status::InvalidArgument(source + ": " + std::string(s.message()));
  m.encoded_bytes = bytes.size();
  m.id = stored;
  m.source = source;
  *model = std::move(m);
  return Status::OK();
}

Status LoadPolicyModelFile(Env* env, const std::string& path, PolicyModel* model) {
  std::string data;
  Status s = ReadFileToString(env, path, &data);
  if (!s.ok()) {
    return Status::InvalidArgument("policy_model " + path + " cannot be read",
                                   s.ToString());
  }
  return DecodePolicyModel(data, path, model);
}

Status DefaultPolicyModel(std::shared_ptr<const PolicyModel>* model) {
  static const std::shared_ptr<const PolicyModel> cached = []() -> std::shared_ptr<const PolicyModel> {
    if (sizeof(kDefaultPolicyModel) <= 1) return nullptr;
    auto m = std::make_shared<PolicyModel>();
    std::string_view bytes(reinterpret_cast<const char*>(kDefaultPolicyModel),
                           sizeof(kDefaultPolicyModel));
    if (!DecodePolicyModel(bytes, "built-in policy model", m.get()).ok()) return nullptr;
    return m;
  }();
  if (!cached) return Status::NotFound("this build carries no built-in policy model");
  *model = cached;
  return Status::OK();
}

}  // namespace firn
