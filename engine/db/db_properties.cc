// db/db_properties.cc: properties (statistics a caller can read) and the
// in-memory event log.
//
// Properties (docs/architecture.md):
//   firn.stats        human-readable table: levels, runs, files, bytes,
//                     write amplification, reads
//   firn.stats.json   one JSON object of integer counters
//   firn.levels       one line per level: "level runs files bytes"
//   firn.events       the last background events, one per line
//   firn.picker       name of the compaction picker in use
//   firn.policy.decisions  the picker's last decisions with candidates and
//                     scores (learned picker)
//   firn.wear         lifetime device and user bytes written (kept across
//                     opens in the manifest), write amplification, and the
//                     projected flash lifetime (docs/edge.md)
//   firn.maintain     background = none: Maintain calls, steps, step times,
//                     longest write
// The JSON is written by hand: fixed identifier keys and integer values
// only, so no escaping is ever needed and the library stays small.
#include <cinttypes>
#include <cstdio>

#include "db/db_impl.h"
#include "db/table_cache.h"
#include "memtable/memtable.h"
#include "sst/block_cache.h"
#include "version/version_set.h"

namespace firn {

namespace {
constexpr size_t kEventLogLines = 64;

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(b) / (1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(b) / (1ull << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(b) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", b);
  }
  return buf;
}
}  // namespace

void DBImpl::Log(std::string line) {
  if (event_log_.size() >= kEventLogLines) event_log_.pop_front();
  event_log_.push_back(std::move(line));
}

std::string DBImpl::StatsTable() {
  std::shared_ptr<const Version> v = versions_->current();
  std::string r;
  char buf[200];
  std::snprintf(buf, sizeof(buf), "%-6s %6s %6s %12s\n", "level", "runs", "files", "bytes");
  r += buf;
  for (int l = 0; l < v->num_levels(); ++l) {
    const Level& level = v->level(l);
    int files = 0;
    for (const Run& run : level.runs) files += static_cast<int>(run.files.size());
    std::snprintf(buf, sizeof(buf), "%-6d %6zu %6d %12s\n", l, level.runs.size(), files,
                  HumanBytes(level.bytes).c_str());
    r += buf;
  }
  uint64_t user = user_bytes_written_.load(std::memory_order_relaxed);
  uint64_t device = env_->counters().TotalWritten();
  uint64_t gets = gets_.load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof(buf),
                "memtable %s, sealed %zu (%s)\n"
                "user bytes written %s, device bytes written %s, write amplification %.2f\n"
                "flushes %" PRIu64 ", compactions %" PRIu64 " (%" PRIu64
                " trivial moves), picker %s\n",
                HumanBytes(mem_->ApproximateMemoryUsage()).c_str(), sealed_.size(),
                HumanBytes(PendingFlushBytes()).c_str(), HumanBytes(user).c_str(),
                HumanBytes(device).c_str(),
                user == 0 ? 0.0 : static_cast<double>(device) / static_cast<double>(user),
                flushes_.load(), compactions_.load(), trivial_moves_.load(), picker_->Name());
  r += buf;
  std::snprintf(buf, sizeof(buf), "gets %" PRIu64 ", blocks read per get %.2f, files per get %.2f\n",
                gets,
                gets == 0 ? 0.0 : static_cast<double>(get_blocks_read_.load()) / gets,
                gets == 0 ? 0.0 : static_cast<double>(get_files_probed_.load()) / gets);
  r += buf;
  uint64_t iters = scans_.load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof(buf), "iterators %" PRIu64 ", blocks read per iterator %.2f\n", iters,
                iters == 0 ? 0.0 : static_cast<double>(iterator_blocks_read_.load()) / iters);
  r += buf;
  if (!bg_error_.ok()) r += "background error: " + bg_error_.ToString() + "\n";
  return r;
}

std::string DBImpl::StatsJson() {
  std::shared_ptr<const Version> v = versions_->current();
  const IOCounters& io = env_->counters();
  struct Field {
    const char* name;
    uint64_t value;
  };
  uint64_t cache_usage = block_cache_ ? block_cache_->usage() : 0;
  const Field fields[] = {
      {"user_bytes_written", user_bytes_written_.load()},
      {"device_bytes_written", io.TotalWritten()},
      {"wal_bytes_written", io.wal_bytes.load()},
      {"sst_bytes_written", io.sst_bytes.load()},
      {"manifest_bytes_written", io.manifest_bytes.load()},
      {"other_bytes_written", io.other_bytes.load()},
      {"bytes_read", io.bytes_read.load()},
      {"syncs", io.syncs.load()},
      {"live_files", static_cast<uint64_t>(v->TotalFiles())},
      {"live_runs", static_cast<uint64_t>(v->TotalRuns())},
      {"live_bytes", v->TotalBytes()},
      {"live_entries", v->TotalEntries()},
      {"live_deletions", v->TotalDeletions()},
      {"flushes", flushes_.load()},
      {"compactions", compactions_.load()},
      {"trivial_moves", trivial_moves_.load()},
      {"flush_bytes_written", flush_bytes_written_.load()},
      {"compaction_bytes_read", compaction_bytes_read_.load()},
      {"compaction_bytes_written", compaction_bytes_written_.load()},
      {"writes", writes_.load()},
      {"deletes", deletes_.load()},
      {"gets", gets_.load()},
      {"iterators", scans_.load()},
      {"get_blocks_read", get_blocks_read_.load()},
      {"iterator_blocks_read", iterator_blocks_read_.load()},
      {"get_files_probed", get_files_probed_.load()},
      {"get_block_cache_hits", get_cache_hits_.load()},
      {"write_slowdowns", write_slowdowns_.load()},
      {"write_stalls", write_stalls_.load()},
      {"write_stall_micros", stall_micros_.load()},
      {"picker_rejections", picker_rejections_.load()},
      {"guardrail_overrides", guardrail_overrides_.load()},
      {"memtable_bytes", mem_->ApproximateMemoryUsage()},
      {"pending_flush_bytes", PendingFlushBytes()},
      {"block_cache_bytes", cache_usage},
      {"table_cache_bytes", table_cache_->MemoryUsage()},
      {"last_sequence", versions_->LastSequence()},
      {"lifetime_device_bytes_written", versions_->LifetimeDeviceBytes()},
      {"lifetime_user_bytes_written", versions_->LifetimeUserBytes()},
      {"max_write_micros", max_write_micros_.load()},
      {"maintain_steps", maintain_steps_},
      {"inline_steps", inline_steps_},
      {"max_step_micros", max_step_micros_},
  };
  std::string r = "{";
  char buf[96];
  for (const Field& f : fields) {
    std::snprintf(buf, sizeof(buf), "%s\"%s\":%" PRIu64, r.size() > 1 ? "," : "", f.name, f.value);
    r += buf;
  }
  r += ",\"levels\":[";
  for (int l = 0; l < v->num_levels(); ++l) {
    const Level& level = v->level(l);
    int files = 0;
    for (const Run& run : level.runs) files += static_cast<int>(run.files.size());
    std::snprintf(buf, sizeof(buf), "%s{\"runs\":%zu,\"files\":%d,\"bytes\":%" PRIu64 "}",
                  l > 0 ? "," : "", level.runs.size(), files, level.bytes);
    r += buf;
  }
  r += "]}";
  return r;
}

std::string DBImpl::WearReport() {
  // One "name value" line each; ratios with two decimals, -1 when unknown.
  const uint64_t device = versions_->LifetimeDeviceBytes();
  const uint64_t user = versions_->LifetimeUserBytes();
  const uint64_t endurance = options_.flash_endurance_bytes;
  // Projected from this open's write rate (device bytes per second of
  // uptime): remaining endurance / rate.
  const uint64_t session_bytes = env_->counters().TotalWritten();
  const uint64_t up_micros = env_->NowMicros() - open_micros_;
  double rate = up_micros == 0 ? 0.0
                               : static_cast<double>(session_bytes) * 1e6 /
                                     static_cast<double>(up_micros);
  double remaining_s = -1, used_pct = -1;
  if (endurance > 0) {
    used_pct = 100.0 * static_cast<double>(device) / static_cast<double>(endurance);
    const uint64_t left = endurance > device ? endurance - device : 0;
    if (rate > 0) remaining_s = static_cast<double>(left) / rate;
  }
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "lifetime_device_bytes_written %" PRIu64 "\n"
                "lifetime_user_bytes_written %" PRIu64 "\n"
                "lifetime_write_amplification %.2f\n"
                "session_device_bytes_written %" PRIu64 "\n"
                "session_write_amplification %.2f\n"
                "device_write_rate_bytes_per_second %.0f\n"
                "flash_endurance_bytes %" PRIu64 "\n"
                "endurance_used_percent %.6g\n"
                "projected_remaining_seconds %.0f\n"
                "projected_remaining_days %.1f\n",
                device, user,
                user == 0 ? -1.0 : static_cast<double>(device) / static_cast<double>(user),
                session_bytes,
                user_bytes_written_.load() == 0
                    ? -1.0
                    : static_cast<double>(session_bytes) /
                          static_cast<double>(user_bytes_written_.load()),
                rate, endurance, used_pct, remaining_s,
                remaining_s < 0 ? -1.0 : remaining_s / 86400.0);
  return buf;
}

std::string DBImpl::MaintainReport() {
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "background %s\n"
                "maintain_calls %" PRIu64 "\n"
                "maintain_steps %" PRIu64 "\n"
                "inline_steps %" PRIu64 "\n"
                "max_step_micros %" PRIu64 "\n"
                "avg_step_micros %" PRIu64 "\n"
                "max_write_micros %" PRIu64 "\n",
                NoThread() ? "none" : "thread", maintain_calls_, maintain_steps_, inline_steps_,
                max_step_micros_, avg_step_micros_, max_write_micros_.load());
  return buf;
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  if (value == nullptr) return false;
  port::MutexLock l(&mutex_);
  if (!opened_ || closed_) return false;
  if (name == "firn.stats") {
    *value = StatsTable();
  } else if (name == "firn.stats.json") {
    *value = StatsJson();
  } else if (name == "firn.levels") {
    std::shared_ptr<const Version> v = versions_->current();
    value->clear();
    for (int l = 0; l < v->num_levels(); ++l) {
      const Level& level = v->level(l);
      int files = 0;
      for (const Run& run : level.runs) files += static_cast<int>(run.files.size());
      *value += std::to_string(l) + " " + std::to_string(level.runs.size()) + " " +
                std::to_string(files) + " " + std::to_string(level.bytes) + "\n";
    }
  } else if (name == "firn.events") {
    value->clear();
    for (const std::string& line : event_log_) *value += line + "\n";
  } else if (name == "firn.picker") {
    *value = picker_->Name();
  } else if (name == "firn.policy" || name == "firn.policy.decisions") {
    *value = picker_->Explain();
    if (value->empty()) *value = std::string("policy: ") + picker_->Name() + " (static)\n";
  } else if (name == "firn.wear") {
    *value = WearReport();
  } else if (name == "firn.maintain") {
    *value = MaintainReport();
  } else if (name == "firn.tree") {
    *value = versions_->current()->DebugString();
  } else {
    return false;
  }
  return true;
}

}  // namespace firn
