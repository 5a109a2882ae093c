// Fault-injection tests of the durability promise (docs/durability.md):
// simulated power cuts at random I/O operations, injected I/O errors, and a
// full disk, each checked against an oracle of acknowledged writes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "firn/db.h"
#include "port/env.h"
#include "port/env_fault.h"
#include "util/random.h"

using namespace firn;

namespace {

constexpr int kKeys = 300;

// Operation i of the workload, a pure function of i, so the expected state
// after any prefix can be recomputed.
struct Op {
  enum Kind { kPut, kDelete, kBatch } kind;
  int key;
};

Op OpAt(uint64_t i) {
  if (i % 7 == 3) return {Op::kDelete, static_cast<int>((i * 13) % kKeys)};
  if (i % 11 == 5) return {Op::kBatch, static_cast<int>(i % kKeys)};
  return {Op::kPut, static_cast<int>(i % kKeys)};
}

std::string KeyOf(int k) { return "key" + std::to_string(k); }
std::string ValueOf(uint64_t i) { return "value-" + std::to_string(i) + std::string(80, 'v'); }

void ApplyToModel(uint64_t i, std::map<std::string, std::string>* model) {
  Op op = OpAt(i);
  switch (op.kind) {
    case Op::kPut:
      (*model)[KeyOf(op.key)] = ValueOf(i);
      break;
    case Op::kDelete:
      model->erase(KeyOf(op.key));
      break;
    case Op::kBatch:
      for (int j = 0; j < 3; ++j) (*model)[KeyOf((op.key + j * 101) % kKeys)] = ValueOf(i);
      break;
  }
}

Status ApplyToDB(uint64_t i, DB* db, const WriteOptions& wo) {
  Op op = OpAt(i);
  switch (op.kind) {
    case Op::kPut:
      return db->Put(wo, KeyOf(op.key), ValueOf(i));
    case Op::kDelete:
      return db->Delete(wo, KeyOf(op.key));
    case Op::kBatch: {
      WriteBatch b;
      for (int j = 0; j < 3; ++j) b.Put(KeyOf((op.key + j * 101) % kKeys), ValueOf(i));
      return db->Write(wo, b);
    }
  }
  return Status::OK();
}

std::map<std::string, std::string> ReadAll(DB* db) {
  std::map<std::string, std::string> r;
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) r[std::string(it->key())] = it->value();
  REQUIRE_MESSAGE(it->status().ok(), it->status().ToString());
  return r;
}

Options SmallOptions(Env* env, CompactionStyle style) {
  Options o;
  o.env = env;
  o.compaction = style;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.max_runs_per_level = 3;
  o.num_levels = 4;
  o.leveled_base_bytes = 256 << 10;
  return o;
}

// Runs power-cut trials on one database that lives across all of them.
void PowerCutTrials(CompactionStyle style, uint64_t seed, int trials) {
  std::unique_ptr<Env> mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  Random rnd(seed);
  Options options = SmallOptions(&env, style);
  std::map<std::string, std::string> model;  // state after `applied` ops
  uint64_t applied = 0;
  int cuts_with_loss = 0;
  for (int trial = 0; trial < trials; ++trial) {
    options.sync = rnd.OneIn(3);
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, "/db", &db);
    REQUIRE_MESSAGE(s.ok(), "trial " << trial << ": " << s.ToString());
    env.CutPowerAfter(1 + rnd.Uniform(1500));
    uint64_t synced = applied;  // every op below this survives any cut
    uint64_t acked = applied;
    uint64_t attempted = applied;
    WriteOptions wo;
    uint64_t ops = 200 + rnd.Uniform(1500);
    for (uint64_t n = 0; n < ops; ++n) {
      uint64_t i = attempted++;
      if (!ApplyToDB(i, db.get(), wo).ok()) break;
      acked = i + 1;
      if (options.sync) synced = acked;
      if (rnd.OneIn(100)) {
        if (!db->Sync().ok()) break;
        synced = acked;
      }
      if (rnd.OneIn(400) && !db->Flush().ok()) break;
    }
    db.reset();  // the process "dies": its Close fails if the power is off
    bool cut = env.power_is_off();
    FaultInjectionEnv::PowerCutOptions pc;
    pc.tear_last_write = rnd.OneIn(2);
    pc.garbage_bytes = rnd.OneIn(3) ? rnd.Uniform(300) : 0;
    pc.seed = rnd.Next64();
    if (cut) {
      REQUIRE(env.ResetAfterPowerCut(pc).ok());
    } else {
      env.CutPowerAfter(UINT64_MAX);
    }
    s = DB::Open(options, "/db", &db);
    REQUIRE_MESSAGE(s.ok(), "reopen after trial " << trial << ": " << s.ToString());
    std::map<std::string, std::string> got = ReadAll(db.get());
    // Find the prefix the database holds: at least every synced op, at
    // most every attempted op (a failed op may still have reached disk).
    std::map<std::string, std::string> expect = model;
    for (uint64_t i = applied; i < synced; ++i) ApplyToModel(i, &expect);
    uint64_t p = synced;
    bool match = got == expect;
    while (!match && p < attempted) {
      ApplyToModel(p++, &expect);
      match = got == expect;
    }
    REQUIRE_MESSAGE(match, "trial " << trial << ": state is not a prefix between synced op "
                                    << synced << " and attempted op " << attempted
                                    << " (cut=" << cut << ", sync=" << options.sync << ", " << got.size() << " keys)");
    if (!cut) CHECK(p >= acked);  // a clean close keeps every acknowledged op
    if (p < acked) cuts_with_loss++;
    model = std::move(got);
    applied = p;
    db.reset();
  }
  MESSAGE("power-cut trials: " << trials << ", ops applied: " << applied
                               << ", cuts that lost unsynced writes: " << cuts_with_loss);
}

}  // namespace

TEST_CASE("PowerCutsKeepSyncedWritesAndLeaveNoHolesTiered") {
  PowerCutTrials(CompactionStyle::kTiered, 21, 500);
}

TEST_CASE("PowerCutsKeepSyncedWritesAndLeaveNoHolesLeveled") {
  PowerCutTrials(CompactionStyle::kLeveled, 22, 500);
}

TEST_CASE("InjectedIOErrorsReturnTheStatusAndLoseNoAcknowledgedWrite") {
  using K = FaultInjectionEnv::OpKind;
  const K kinds[] = {K::kAppend, K::kSync, K::kCreate, K::kRename, K::kSyncDir, K::kRemove,
                     K::kFlush};
  int errors_seen = 0;
  for (K kind : kinds) {
    for (uint64_t nth : {1, 3, 10, 40}) {
      for (bool no_space : {false, true}) {
        std::unique_ptr<Env> mem = NewMemEnv();
        FaultInjectionEnv env(mem.get());
        Options options = SmallOptions(&env, CompactionStyle::kTiered);
        std::unique_ptr<DB> db;
        REQUIRE(DB::Open(options, "/db", &db).ok());
        Status injected = no_space ? Status::NoSpace("injected: disk full")
                                   : Status::IOError("injected: device error");
        env.InjectError(kind, nth, injected, /*sticky=*/true);
        std::map<std::string, std::string> acked;
        std::map<std::string, std::string> maybe;
        uint64_t i = 0;
        for (; i < 3000; ++i) {
          std::string k = "k" + std::to_string(i), v = ValueOf(i);
          Status s = db->Put(WriteOptions(), k, v);
          if (s.ok()) {
            acked[k] = v;
          } else {
            CHECK((no_space ? s.IsNoSpace() : s.IsIOError()));
            maybe[k] = v;
            errors_seen++;
            break;
          }
        }
        // Reads still work while the device fails.
        for (auto& [k, v] : acked) {
          std::string got;
          REQUIRE_MESSAGE(db->Get(ReadOptions(), k, &got).ok(), k);
          REQUIRE(got == v);
        }
        // The fault clears: writes resume.
        env.ClearErrors();
        bool resumed = false;
        for (int tries = 0; tries < 200 && !resumed; ++tries) {
          std::string k = "after" + std::to_string(tries);
          Status s = db->Put(WriteOptions(), k, "x");
          if (s.ok()) {
            acked[k] = "x";
            resumed = true;
          } else {
            maybe[k] = "x";
            env.SleepMicros(20000);
          }
        }
        CHECK(resumed);
        db.reset();
        REQUIRE(DB::Open(options, "/db", &db).ok());
        std::map<std::string, std::string> got = ReadAll(db.get());
        for (auto& [k, v] : acked) {
          auto it = got.find(k);
          REQUIRE_MESSAGE(it != got.end(), "lost acknowledged " << k);
          CHECK(it->second == v);
        }
        for (auto& [k, v] : got) CHECK((acked.count(k) > 0 || maybe.count(k) > 0));
      }
    }
  }
  CHECK(errors_seen > 0);
}

TEST_CASE("FullDiskReturnsNoSpaceThenWritesResumeWhenSpaceReturns") {
  std::unique_ptr<Env> mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  Options options = SmallOptions(&env, CompactionStyle::kTiered);
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(options, "/db", &db).ok());
  env.SetFreeSpace(300 << 10);
  std::map<std::string, std::string> acked;
  Status last;
  int i = 0;
  for (; i < 20000; ++i) {
    std::string k = "k" + std::to_string(i);
    last = db->Put(WriteOptions(), k, ValueOf(i));
    if (!last.ok()) break;
    acked[k] = ValueOf(i);
  }
  REQUIRE(last.IsNoSpace());
  CHECK(last.message().find("space") != std::string_view::npos);
  // Still readable.
  std::string v;
  REQUIRE(db->Get(ReadOptions(), acked.begin()->first, &v).ok());
  env.ClearFreeSpaceLimit();
  bool resumed = false;
  for (int tries = 0; tries < 200 && !resumed; ++tries) {
    resumed = db->Put(WriteOptions(), "after", "x").ok();
    if (!resumed) env.SleepMicros(20000);
  }
  CHECK(resumed);
  REQUIRE(db->Flush().ok());
  db.reset();
  REQUIRE(DB::Open(options, "/db", &db).ok());
  for (auto& [k, val] : acked) {
    REQUIRE_MESSAGE(db->Get(ReadOptions(), k, &v).ok(), k);
    CHECK(v == val);
  }
  REQUIRE(db->Get(ReadOptions(), "after", &v).ok());
}
