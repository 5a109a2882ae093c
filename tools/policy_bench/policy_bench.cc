// firn-policy-bench: how long one learned-policy decision takes and how big
// the model is (issue targets: <= 2 us for 64 candidates, <= 2 KiB).
//
// Usage: firn-policy-bench [--model PATH] [--iterations N]
// Prints the time of the network over 64 candidates (the integer kernel
// alone), of candidate enumeration + features, and the model's size.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "compaction/picker.h"
#include "db/dbformat.h"
#include "policy/features.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "port/env.h"
#include "util/random.h"
#include "version/version.h"

using namespace firn;

namespace {

// A model of the shipped shape with random weights, used when the build
// has no built-in model and none is given: the kernel's cost does not
// depend on the weights' values.
PolicyModel ShapedModel() {
  Random rnd(1);
  const int shape[] = {kGlobalFeatures + kCandidateFeatures, 16, 8, 1};
  std::vector<MlpLayer> layers;
  for (int l = 0; l < 3; ++l) {
    MlpLayer L;
    L.inputs = shape[l];
    L.outputs = shape[l + 1];
    for (int i = 0; i < L.inputs * L.outputs; ++i) {
      L.weights.push_back(static_cast<int8_t>(static_cast<int>(rnd.Uniform(16)) - 8));
    }
    for (int j = 0; j < L.outputs; ++j) {
      L.bias.push_back(0);
      L.mult.push_back(32);
      L.shift.push_back(14);
    }
    layers.push_back(std::move(L));
  }
  PolicyModel m;
  m.schema_version = kFeatureSchemaVersion;
  m.global_features = kGlobalFeatures;
  m.candidate_features = kCandidateFeatures;
  if (!m.mlp.Init(std::move(layers)).ok()) std::abort();
  m.encoded_bytes = EncodePolicyModel(m).size();
  return m;
}

// A tree whose enumeration yields the full 64 candidates.
std::shared_ptr<Version> BigTree() {
  VersionEdit edit;
  uint64_t number = 10, run_id = 1;
  Random rnd(7);
  for (int l = 6; l >= 0; --l) {
    for (int r = 0; r < 5; ++r) {
      uint64_t key = 0;
      for (int f = 0; f < 8; ++f) {
        FileMetaData m;
        m.number = number++;
        uint64_t lo = key + rnd.Uniform(50), hi = lo + 100 + rnd.Uniform(1000);
        key = hi + 1;
        char a[16], b[16];
        std::snprintf(a, sizeof(a), "%08llu", static_cast<unsigned long long>(lo));
        std::snprintf(b, sizeof(b), "%08llu", static_cast<unsigned long long>(hi));
        m.smallest = MakeInternalKey(a, 9, kTypeValue);
        m.largest = MakeInternalKey(b, 1, kTypeValue);
        m.file_size = 1 << 20;
        m.num_entries = 10000;
        m.num_deletions = rnd.Uniform(2000);
        edit.AddFile(l, run_id, m);
      }
      run_id++;
    }
  }
  std::shared_ptr<Version> v;
  if (!Version::Apply(Version(7), edit, &v).ok()) std::abort();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path;
  long iterations = 200000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model_path = argv[++i];
    } else if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
      iterations = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: firn-policy-bench [--model PATH] [--iterations N]\n");
      return 2;
    }
  }
  std::shared_ptr<const PolicyModel> model;
  const char* which = "built-in";
  if (!model_path.empty()) {
    auto m = std::make_shared<PolicyModel>();
    Status s = LoadPolicyModelFile(Env::Default(), model_path, m.get());
    if (!s.ok()) {
      std::fprintf(stderr, "firn-policy-bench: %s\n", s.ToString().c_str());
      return 3;
    }
    model = m;
    which = model_path.c_str();
  } else if (!DefaultPolicyModel(&model).ok()) {
    model = std::make_shared<PolicyModel>(ShapedModel());
    which = "random weights of the shipped shape (no built-in model in this build)";
  }

  std::shared_ptr<Version> v = BigTree();
  TreeShape shape = ShapeOf(*v, 1000000000ull);
  WorkloadStats stats;
  stats.write_rate = 5000;
  stats.read_rate = 20000;
  PolicyLimits limits;
  DecisionInput input;
  BuildDecisionInput(shape, stats, limits, ObjectiveDial(), &input);
  while (input.candidates.size() < static_cast<size_t>(kMaxCandidates)) {
    input.candidates.push_back(input.candidates.back());
  }

  int32_t scores[kMaxCandidates];
  int sink = 0;
  for (int i = 0; i < 1000; ++i) sink += DecidePolicy(*model, input, scores);
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) sink += DecidePolicy(*model, input, scores);
  auto t1 = std::chrono::steady_clock::now();
  double decide_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;

  long feature_iters = std::max(1L, iterations / 20);
  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < feature_iters; ++i) {
    BuildDecisionInput(shape, stats, limits, ObjectiveDial(), &input);
    sink += static_cast<int>(input.candidates.size());
  }
  t1 = std::chrono::steady_clock::now();
  double features_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / feature_iters;

  std::printf("model: %s\n", which);
  std::printf("model size:                    %zu bytes (%zu int4 weights, %zu layers)\n",
              model->encoded_bytes, model->mlp.NumWeights(), model->mlp.layers().size());
  std::printf("decision, 64 candidates:       %.3f us  (integer network only, %s kernel, target <= 2 us)\n",
              decide_us, model->mlp.KernelName());
  std::printf("enumeration + features:        %.3f us  (%d runs, %d files in the tree)\n",
              features_us, v->TotalRuns(), v->TotalFiles());
  std::printf("(checksum %d)\n", sink);
  return 0;
}
