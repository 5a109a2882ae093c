// tools/trainer/engine_run.cc: see engine_run.h.
#include "tools/trainer/engine_run.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_map>
#include <utility>

#include "firn/db.h"
#include "port/env.h"
#include "util/random.h"

namespace firn::trainer {

uint64_t JsonField(const std::string& json, const std::string& name) {
  std::string needle = "\"" + name + "\":";
  size_t p = json.find(needle);
  if (p == std::string::npos) return 0;
  return std::strtoull(json.c_str() + p + needle.size(), nullptr, 10);
}

namespace {

std::string Stats(DB* db) {
  std::string json;
  db->GetProperty("firn.stats.json", &json);
  return json;
}

// Waits until the background worker has been idle for a while: no new
// compaction, flush or device byte over several polls.
void WaitForQuiet(DB* db) {
  std::string last;
  int quiet = 0;
  for (int i = 0; i < 2000 && quiet < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::string json = Stats(db);
    std::string key = std::to_string(JsonField(json, "compactions")) + "/" +
                      std::to_string(JsonField(json, "flushes")) + "/" +
                      std::to_string(JsonField(json, "device_bytes_written"));
    quiet = key == last ? quiet + 1 : 0;
    last = key;
  }
}

}  // namespace

Status MeasureFlushMicros(const Options& base, uint32_t value_size, double* micros) {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options = base;
  options.env = env.get();
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, "/db", &db);
  if (!s.ok()) return s;
  ValueSource values(7);
  Random rnd(7);
  char kbuf[8];
  // Three quarters of a memtable: a put takes its key, value and about 30
  // bytes of entry overhead.
  const uint64_t puts = options.memtable_bytes * 3 / 4 / (8 + value_size + 30);
  std::vector<double> times;
  for (int round = 0; round < 7 && s.ok(); ++round) {
    for (uint64_t i = 0; i < puts && s.ok(); ++i) {
      EncodeKeyTo(rnd.Next64(), kbuf);
      s = db->Put(WriteOptions(), std::string_view(kbuf, 8), values.Get(value_size));
    }
    if (!s.ok()) break;
    auto t0 = std::chrono::steady_clock::now();
    s = db->Flush();
    times.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  if (!s.ok()) return s;
  std::sort(times.begin(), times.end());
  *micros = times[times.size() / 2];
  return db->Close();
}

Status RunEngine(const Options& base, const std::vector<Op>& ops, const std::string& model_path,
                 EngineResult* r, bool inline_worker, bool time_calls) {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options = base;
  options.env = env.get();
  options.create_if_missing = true;
  if (inline_worker) options.background = BackgroundMode::kNone;
  constexpr uint64_t kUnbounded = uint64_t{1} << 40;  // Maintain budget: all pending work
  if (!model_path.empty()) {
    std::string bytes;
    Status s = ReadFileToString(Env::Default(), model_path, &bytes);
    if (!s.ok()) return s;
    s = env->CreateDir("/model");
    s = WriteStringToFile(env.get(), bytes, "/model/policy.bin", false);
    if (!s.ok()) return s;
    options.policy_model = "/model/policy.bin";
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, "/db", &db);
  if (!s.ok()) return s;
  ValueSource values(42);
  WriteOptions wo;
  ReadOptions ro;
  std::string value;
  char kbuf[8];
  double max_write = 0;
  // Logical live bytes (8-byte key + value of every live key), and
  // (file bytes, logical bytes) samples for the averaged space amp.
  constexpr size_t kSpaceSampleOps = 1000;
  std::unordered_map<uint64_t, uint32_t> live;
  uint64_t logical = 0;
  std::vector<std::pair<uint64_t, uint64_t>> samples;
  size_t done = 0;
  auto start = std::chrono::steady_clock::now();
  for (const Op& op : ops) {
    EncodeKeyTo(op.key, kbuf);
    const auto op_start =
        time_calls ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    std::string_view key(kbuf, 8);
    switch (op.type) {
      case OpType::kPut:
      case OpType::kDelete: {
        auto t0 = std::chrono::steady_clock::now();
        s = op.type == OpType::kPut ? db->Put(wo, key, values.Get(op.value_size))
                                    : db->Delete(wo, key);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                        .count();
        if (us > max_write) max_write = us;
        if (s.ok() && inline_worker) s = db->Maintain(kUnbounded);
        auto it = live.find(op.key);
        if (it != live.end()) {
          logical -= 8 + it->second;
          if (op.type == OpType::kDelete) live.erase(it);
        }
        if (op.type == OpType::kPut) {
          live[op.key] = op.value_size;
          logical += 8 + op.value_size;
        }
        break;
      }
      case OpType::kGet:
        s = db->Get(ro, key, &value);
        if (s.IsNotFound()) s = Status::OK();
        break;
      case OpType::kScan: {
        std::unique_ptr<Iterator> it(db->NewIterator(ro));
        it->Seek(key);
        for (uint32_t i = 0; i < op.scan_len && it->Valid(); ++i) it->Next();
        s = it->status();
        break;
      }
    }
    if (!s.ok()) return s;
    if (time_calls) {
      const double op_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - op_start).count();
      (op.type == OpType::kGet    ? r->get_seconds
       : op.type == OpType::kScan ? r->scan_seconds
                                  : r->write_seconds) += op_seconds;
    }
    if (++done % kSpaceSampleOps == 0) {
      uint64_t files = JsonField(Stats(db.get()), "live_bytes");
      if (files > 0 && logical > 0) samples.emplace_back(files, logical);
    }
  }
  r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r->ops = ops.size();
  r->max_write_micros = max_write;
  s = db->Flush();
  if (!s.ok()) return s;
  if (inline_worker) {
    s = db->Maintain(kUnbounded);
    if (!s.ok()) return s;
  } else {
    WaitForQuiet(db.get());
  }
  std::string json = Stats(db.get());
  r->gets = JsonField(json, "gets");
  r->user_bytes = JsonField(json, "user_bytes_written");
  r->device_bytes = JsonField(json, "device_bytes_written");
  r->wal_bytes = JsonField(json, "wal_bytes_written");
  r->sst_bytes = JsonField(json, "sst_bytes_written");
  r->flush_bytes = JsonField(json, "flush_bytes_written");
  r->manifest_bytes = JsonField(json, "manifest_bytes_written");
  r->other_bytes = JsonField(json, "other_bytes_written");
  r->get_blocks = JsonField(json, "get_blocks_read");
  r->get_files = JsonField(json, "get_files_probed");
  r->scans = JsonField(json, "iterators");
  r->scan_blocks = JsonField(json, "iterator_blocks_read");
  r->compactions = JsonField(json, "compactions");
  r->flushes = JsonField(json, "flushes");
  r->trivial_moves = JsonField(json, "trivial_moves");
  r->guardrail_overrides = JsonField(json, "guardrail_overrides");
  r->live_bytes = JsonField(json, "live_bytes");
  r->write_stalls = JsonField(json, "write_stalls");
  auto c0 = std::chrono::steady_clock::now();
  s = db->CompactAll();
  if (!s.ok()) return s;
  r->compact_all_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  r->compacted_bytes = JsonField(Stats(db.get()), "live_bytes");
  if (logical > 0 && r->compacted_bytes > 0) {
    const double per_logical = static_cast<double>(r->compacted_bytes) / static_cast<double>(logical);
    for (const auto& [files, lb] : samples) {
      r->space_amp_sum += static_cast<double>(files) / (per_logical * static_cast<double>(lb));
      r->space_amp_samples++;
    }
  }
  s = db->Close();
  db.reset();
  return s;
}

}  // namespace firn::trainer
