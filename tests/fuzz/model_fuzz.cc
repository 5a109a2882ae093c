// Fuzz target: the policy model loader (engine/policy/model.h). Any input
// must be rejected with Corruption/InvalidArgument or decode to a model
// that scores an input vector without crashing. The checksum guards the
// body, so a second mode (odd first byte) re-seals the input with a valid
// checksum first, letting the fuzzer reach the shape checks behind it.
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "policy/model.h"
#include "util/coding.h"
#include "util/hash.h"

using namespace firn;

std::vector<std::string> FuzzSeeds() {
  std::vector<std::string> seeds;
  std::shared_ptr<const PolicyModel> model;
  if (!DefaultPolicyModel(&model).ok()) return seeds;
  const std::string bytes = EncodePolicyModel(*model);
  seeds.push_back(std::string(1, '\0') + bytes);
  seeds.push_back(std::string(1, '\1') + bytes.substr(0, bytes.size() - 8));
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte();
  std::string bytes(in.Rest());
  if (mode % 2 == 1) PutFixed64(&bytes, Hash64(bytes));
  PolicyModel model;
  Status s = DecodePolicyModel(bytes, "fuzz.model", &model);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption() || s.IsInvalidArgument());
    return 0;
  }
  std::vector<int8_t> x(static_cast<size_t>(model.mlp.inputs()), 3);
  (void)model.mlp.Score(x.data());
  return 0;
}
