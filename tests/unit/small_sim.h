// tests/unit/small_sim.h: the small workloads, simulator settings and
// model the trainer's tests share (sim_test, rollout_test, imitate_test):
// a 3,000-key space and 64 KiB memtables and files, so a test workload
// builds a deep tree in well under a second.
#ifndef FIRN_TESTS_UNIT_SMALL_SIM_H_
#define FIRN_TESTS_UNIT_SMALL_SIM_H_

#include <memory>
#include <vector>

#include "doctest/doctest.h"
#include "policy/model.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {

// One phase of `ops` operations of `kind` over 3,000 keys, 100-byte values.
inline WorkloadSpec SmallSpec(PhaseKind kind, uint64_t seed, uint64_t ops) {
  WorkloadSpec s;
  s.name = PhaseKindName(kind);
  s.seed = seed;
  s.keyspace = 3000;
  s.value_size = 100;
  PhaseSpec p;
  p.kind = kind;
  p.ops = ops;
  s.phases = {p};
  return s;
}

// The simulator's standard options with 64 KiB memtables and files.
inline SimConfig SmallConfig(CompactionStyle style) {
  SimConfig c;
  c.options = BaseOptions();
  c.options.memtable_bytes = 64u << 10;
  c.options.sst_target_bytes = 64u << 10;
  c.options.leveled_base_bytes = 256u << 10;
  c.options.compaction = style;
  return c;
}

// The operations of a workload, in order.
inline std::vector<Op> Materialize(const WorkloadSpec& spec) {
  std::unique_ptr<Workload> w = NewWorkload(spec);
  std::vector<Op> out;
  Op op;
  while (w->Next(&op)) out.push_back(op);
  return out;
}

// The model compiled into the library.
inline std::shared_ptr<const PolicyModel> BuiltInModel() {
  std::shared_ptr<const PolicyModel> model;
  REQUIRE(DefaultPolicyModel(&model).ok());
  return model;
}

}  // namespace firn::trainer

#endif  // FIRN_TESTS_UNIT_SMALL_SIM_H_
