// kvtool/cmd_bench.cc: bench, a short built-in workload in a temporary
// database, to see throughput and compactions at work.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "stats_view.h"

namespace kvtool {

using nlohmann::json;

namespace {

constexpr double kReportEverySeconds = 0.5;
constexpr int kOpsBetweenClockChecks = 256;
// Compactions shown per report; the rest are counted.
constexpr size_t kCompactionLinesPerReport = 3;

// A directory for the temporary database: next to the real one if
// possible (same device), else in $TMPDIR or /tmp.
bool MakeBenchDir(const std::string& db_path, std::string* dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> parents;
  const fs::path parent = fs::path(db_path).parent_path();
  parents.push_back(parent.empty() ? "." : parent.string());
  const char* tmp = getenv("TMPDIR");
  parents.push_back(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  for (const std::string& p : parents) {
    std::string tmpl = p + "/kvtool-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) {
      *dir = tmpl;
      return true;
    }
  }
  return false;
}

bool Stats(firn::DB* db, json* stats) {
  std::string text;
  if (!db->GetProperty("firn.stats.json", &text)) return false;
  *stats = json::parse(text, nullptr, false);
  return stats->is_object();
}

uint64_t Counter(const json& j, const char* name) { return j.value(name, uint64_t{0}); }

// The compaction lines of firn.events logged after `last_seen` (all of
// them if it is empty or has rotated out of the event log).
std::vector<std::string> NewCompactions(firn::DB* db, const std::string& last_seen) {
  std::string events;
  std::vector<std::string> lines;
  if (!db->GetProperty("firn.events", &events)) return lines;
  size_t start = 0;
  while (start < events.size()) {
    size_t end = events.find('\n', start);
    if (end == std::string::npos) end = events.size();
    std::string line = events.substr(start, end - start);
    if (line.starts_with("compaction [")) lines.push_back(std::move(line));
    start = end + 1;
  }
  auto seen = std::find(lines.rbegin(), lines.rend(), last_seen);
  if (!last_seen.empty() && seen != lines.rend()) lines.erase(lines.begin(), seen.base());
  return lines;
}

struct Workload {
  uint64_t seconds, value_bytes, keys;
};

int RunBench(Session& s, firn::DB* db, const Workload& w) {
  Output& out = s.out();
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::string value(w.value_bytes, 'v'), got;
  char key[32];
  uint64_t writes = 0, reads = 0, last_writes = 0, last_reads = 0;
  std::string last_compaction;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last_report = start;
  for (;;) {
    for (int i = 0; i < kOpsBetweenClockChecks; ++i) {
      const uint64_t r = next();
      std::snprintf(key, sizeof(key), "bench%012llu", static_cast<unsigned long long>(r % w.keys));
      firn::Status st;
      if (r % 5 != 0) {
        for (size_t b = 0; b < value.size() && b < 8; ++b)
          value[b] = static_cast<char>('a' + (r >> (b * 4)) % 26);
        st = db->Put(firn::WriteOptions(), key, value);
        writes++;
      } else {
        st = db->Get(firn::ReadOptions(), key, &got);
        if (st.IsNotFound()) st = firn::Status::OK();
        reads++;
      }
      if (!st.ok()) return s.Fail(st);
    }
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const double since = std::chrono::duration<double>(now - last_report).count();
    const bool finished = elapsed >= static_cast<double>(w.seconds) || Interrupted();
    if (since < kReportEverySeconds && !finished) continue;
    json stats;
    if (!Stats(db, &stats)) return out.Error(kExitDbError, "no firn.stats.json property");
    const uint64_t compactions = Counter(stats, "compactions") + Counter(stats, "trivial_moves");
    const double wps = static_cast<double>(writes - last_writes) / since;
    const double rps = static_cast<double>(reads - last_reads) / since;
    const std::vector<std::string> started = NewCompactions(db, last_compaction);
    if (!started.empty()) last_compaction = started.back();
    for (size_t i = 0; i < started.size(); ++i) {
      if (out.json()) {
        out.Object({{"t", elapsed}, {"event", started[i]}});
      } else if (i < kCompactionLinesPerReport) {
        out.Line("        " + started[i]);
      } else {
        out.Line("        ... and " + std::to_string(started.size() - i) + " more compactions");
        break;
      }
    }
    if (out.json()) {
      out.Object({{"t", elapsed},
                  {"writes_per_sec", wps},
                  {"reads_per_sec", rps},
                  {"live_runs", Counter(stats, "live_runs")},
                  {"live_files", Counter(stats, "live_files")}});
    } else {
      char buf[200];
      std::snprintf(buf, sizeof(buf),
                    "%6.1f s  %9.0f writes/s %9.0f reads/s   %llu runs, %llu files", elapsed, wps,
                    rps, static_cast<unsigned long long>(Counter(stats, "live_runs")),
                    static_cast<unsigned long long>(Counter(stats, "live_files")));
      out.Line(buf);
    }
    out.Flush();
    last_report = now;
    last_writes = writes;
    last_reads = reads;
    if (!finished) continue;

    std::string picker;
    if (!db->GetProperty("firn.picker", &picker)) picker = "?";
    const double ops_per_sec = static_cast<double>(writes + reads) / elapsed;
    const uint64_t user = Counter(stats, "user_bytes_written");
    const double amp =
        user == 0 ? 0.0 : static_cast<double>(Counter(stats, "device_bytes_written")) / user;
    if (out.json()) {
      out.Object({{"op", "bench"},
                  {"seconds", elapsed},
                  {"writes", writes},
                  {"reads", reads},
                  {"ops_per_sec", ops_per_sec},
                  {"write_amplification", amp},
                  {"flushes", Counter(stats, "flushes")},
                  {"compactions", compactions},
                  {"picker", picker}});
    } else {
      char buf[200];
      std::snprintf(
          buf, sizeof(buf),
          "bench: %llu writes, %llu reads in %.1f s: %.0f ops/s; write amplification %.2f",
          static_cast<unsigned long long>(writes), static_cast<unsigned long long>(reads), elapsed,
          ops_per_sec, amp);
      out.Line(buf);
      out.Line(RenderStats(stats, picker, TerminalIsUtf8()));
    }
    return kExitOk;
  }
}

}  // namespace

int CmdBench(Session& s, const Words& words) {
  Args args;
  std::string error;
  if (!args.Parse(words, {{"seconds", true}, {"value-bytes", true}, {"keys", true}}, &error)) {
    return s.Usage(error);
  }
  if (!args.positional().empty()) {
    return s.Usage("usage: bench [--seconds N] [--value-bytes N] [--keys N]");
  }
  Workload w;
  if (!args.Count("seconds", 3, &w.seconds, &error) ||
      !args.Count("value-bytes", 100, &w.value_bytes, &error) ||
      !args.Count("keys", 100000, &w.keys, &error)) {
    return s.Usage(error);
  }
  if (w.seconds == 0 || w.seconds > 3600) return s.Usage("--seconds must be 1 to 3600");
  if (w.keys == 0) return s.Usage("--keys must be at least 1");
  firn::Options options = s.options();
  options.create_if_missing = true;
  options.error_if_exists = false;
  // Small memtables and files so that a few seconds show flushes and
  // compactions, unless the user chose otherwise.
  if (!s.OptionGiven("memtable_bytes")) options.memtable_bytes = 256 << 10;
  if (!s.OptionGiven("sst_target_bytes")) options.sst_target_bytes = 256 << 10;
  if (!s.OptionGiven("max_pending_flush_bytes")) options.max_pending_flush_bytes = 512 << 10;
  if (w.value_bytes > options.max_value_bytes)
    return s.Usage("--value-bytes exceeds max_value_bytes");
  std::string dir;
  if (!MakeBenchDir(s.path(), &dir)) {
    return s.out().Error(kExitDbError, "cannot create a directory for the benchmark database");
  }
  std::unique_ptr<firn::DB> db;
  firn::Status st = firn::DB::Open(options, dir, &db);
  int code;
  if (!st.ok()) {
    code = s.out().Error(kExitDbError, "cannot open " + dir + ": " + st.ToString());
  } else {
    if (!s.out().json()) {
      s.out().Line("bench: " + std::to_string(w.seconds) +
                   " s of random writes (80%) and reads "
                   "over " +
                   std::to_string(w.keys) + " keys, " + std::to_string(w.value_bytes) +
                   "-byte values, in " + dir);
    }
    code = RunBench(s, db.get(), w);
    st = db->Close();
    if (!st.ok() && code == kExitOk) code = s.Fail(st);
    db.reset();
  }
  st = firn::DestroyDB(dir, options);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return code;
}

}  // namespace kvtool
