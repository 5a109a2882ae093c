// kvtool/cmd_admin.cc: the maintenance commands: stats, compact, flush,
// verify, repair, policy, options, set.
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "args.h"
#include "commands.h"
#include "firn/repair.h"
#include "progress.h"
#include "stats_view.h"

namespace kvtool {

using nlohmann::json;

namespace {

// The command takes no arguments (or reports a usage error in *code).
bool NoArgs(Session& s, const Words& words, const char* usage, int* code) {
  if (words.empty()) return true;
  *code = s.Usage(std::string("usage: ") + usage);
  return false;
}

// The engine's counters; false (with an error reported) if unavailable.
bool StatsJson(Session& s, firn::DB* db, json* stats, int* code) {
  std::string text;
  if (!db->GetProperty("firn.stats.json", &text)) {
    *code = s.out().Error(kExitDbError, "the engine has no firn.stats.json property");
    return false;
  }
  *stats = json::parse(text, nullptr, false);
  if (stats->is_discarded() || !stats->is_object()) {
    *code = s.out().Error(kExitDbError, "firn.stats.json is not a JSON object");
    return false;
  }
  return true;
}

uint64_t Counter(const json& stats, const char* name) {
  auto it = stats.find(name);
  return it != stats.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// Options as name -> value, in the form `set` takes.
std::vector<std::pair<std::string, std::string>> OptionPairs(const firn::Options& o) {
  std::vector<std::pair<std::string, std::string>> r;
  const std::string text = firn::OptionsToString(o);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const size_t eq = line.find('=');
    if (eq != std::string::npos) r.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    start = end + 1;
  }
  return r;
}

std::string OptionValue(const firn::Options& o, const std::string& name) {
  for (const auto& [n, v] : OptionPairs(o)) {
    if (n == name) return v;
  }
  return "";
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int CmdStats(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "stats", &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  json stats;
  if (!StatsJson(s, db, &stats, &code)) return code;
  if (s.out().json()) {
    s.out().Object(stats);
    return kExitOk;
  }
  std::string picker;
  if (!db->GetProperty("firn.picker", &picker)) picker = "?";
  s.out().Line(RenderStats(stats, picker, TerminalIsUtf8()));
  return kExitOk;
}

int CmdCompact(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "compact", &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  json before;
  if (!StatsJson(s, db, &before, &code)) return code;
  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar("compact");
  firn::Status st;
  if (!bar.enabled()) {
    st = db->CompactAll();
  } else {
    // CompactAll blocks; watch the bytes it writes against what there is.
    const uint64_t written0 =
        Counter(before, "compaction_bytes_written") + Counter(before, "flush_bytes_written");
    const uint64_t total = Counter(before, "live_bytes") + Counter(before, "memtable_bytes");
    std::atomic<bool> done{false};
    std::thread worker([&] {
      st = db->CompactAll();
      done = true;
    });
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      json now;
      std::string text;
      if (db->GetProperty("firn.stats.json", &text)) {
        now = json::parse(text, nullptr, false);
        if (now.is_object()) {
          const uint64_t written = Counter(now, "compaction_bytes_written") +
                                   Counter(now, "flush_bytes_written") - written0;
          bar.Update(std::min(written, total - total / 100), total);
        }
      }
    }
    worker.join();
    bar.Done();
  }
  if (!st.ok()) return s.Fail(st);
  json after;
  if (!StatsJson(s, db, &after, &code)) return code;
  const double secs = Seconds(start);
  if (s.out().json()) {
    json j;
    j["op"] = "compact";
    j["seconds"] = secs;
    j["live_files"] = Counter(after, "live_files");
    j["live_bytes"] = Counter(after, "live_bytes");
    s.out().Object(j);
  } else {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "compacted in %.2f s: %llu files, %s", secs,
                  static_cast<unsigned long long>(Counter(after, "live_files")),
                  HumanBytes(Counter(after, "live_bytes")).c_str());
    s.out().Line(buf);
  }
  return kExitOk;
}

int CmdFlush(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "flush", &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  firn::Status st = db->Flush();
  if (!st.ok()) return s.Fail(st);
  if (s.out().json()) s.out().Object({{"op", "flush"}});
  return kExitOk;
}

int CmdVerify(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "verify", &code)) return code;
  firn::Status st = s.CloseDb();
  if (!st.ok()) return s.Fail(st);
  firn::VerifyReport r;
  {
    ProgressBar bar("verify");
    st = firn::VerifyDB(s.path(), s.options(), &r,
                        [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  }
  // Busy, no database here, I/O: all database errors.
  if (!st.ok() && r.problems.empty()) return s.out().Error(kExitDbError, st.ToString());
  Output& out = s.out();
  if (out.json()) {
    json j;
    j["ok"] = r.problems.empty();
    j["files_checked"] = r.files_checked;
    j["blocks_checked"] = r.blocks_checked;
    j["records_checked"] = r.records_checked;
    j["bytes_checked"] = r.bytes_checked;
    j["problems"] = r.problems;
    j["notes"] = r.notes;
    out.Object(j);
  } else {
    out.Line("verify: checked " + std::to_string(r.files_checked) + " files, " +
             std::to_string(r.blocks_checked) + " blocks, " + std::to_string(r.records_checked) +
             " log records, " + HumanBytes(r.bytes_checked) + ": " +
             (r.problems.empty() ? "no damage found"
                                 : std::to_string(r.problems.size()) + " problem(s)"));
    for (const std::string& p : r.problems) out.Line("problem: " + p);
    for (const std::string& n : r.notes) out.Line("note: " + n);
  }
  if (r.problems.empty()) return kExitOk;
  return out.Error(kExitDbError,
                   std::to_string(r.problems.size()) + " problem(s); first: " + r.problems.front());
}

int CmdRepair(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "repair", &code)) return code;
  firn::Status st = s.CloseDb();
  if (!st.ok()) return s.Fail(st);
  firn::RepairReport r;
  {
    ProgressBar bar("repair");
    st = firn::RepairDB(s.path(), s.options(), &r,
                        [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  }
  Output& out = s.out();
  if (!st.ok()) {
    for (const std::string& n : r.notes) out.Note("repair: " + n);
    return out.Error(kExitDbError, st.ToString());
  }
  if (out.json()) {
    json j;
    j["tables_kept"] = r.tables_kept;
    j["tables_salvaged"] = r.tables_salvaged;
    j["tables_dropped"] = r.tables_dropped;
    j["tables_written"] = r.tables_written;
    j["entries_recovered"] = r.entries_recovered;
    j["entries_lost_estimate"] = r.entries_lost_estimate;
    j["logs_replayed"] = r.logs_replayed;
    j["log_bytes_dropped"] = r.log_bytes_dropped;
    j["notes"] = r.notes;
    out.Object(j);
    return kExitOk;
  }
  out.Line("repair: SST files: " + std::to_string(r.tables_kept) + " intact, " +
           std::to_string(r.tables_salvaged) + " damaged (partly salvaged), " +
           std::to_string(r.tables_dropped) +
           " unreadable; logs replayed: " + std::to_string(r.logs_replayed) + " (" +
           std::to_string(r.log_bytes_dropped) + " damaged bytes skipped)");
  const bool lost = r.entries_lost_estimate > 0 || r.log_bytes_dropped > 0 || r.tables_dropped > 0;
  out.Line("repair: " + std::to_string(r.entries_recovered) + " entries recovered into " +
           std::to_string(r.tables_written) + " new SST file(s); " +
           (lost ? "about " + std::to_string(r.entries_lost_estimate) + " entries lost" +
                       (r.log_bytes_dropped > 0 ? " plus the writes in the skipped log bytes" : "")
                 : std::string("nothing lost")));
  for (const std::string& n : r.notes) out.Line("note: " + n);
  return kExitOk;
}

int CmdPolicy(Session& s, const Words& words) {
  const bool explain = words.size() == 1 && words[0].text == "explain";
  if (!words.empty() && !explain) return s.Usage("usage: policy [explain]");
  int code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  Output& out = s.out();
  if (!explain) {
    std::string picker;
    if (!db->GetProperty("firn.picker", &picker)) picker = "?";
    const firn::Options& o = s.options();
    if (out.json()) {
      json j;
      j["picker"] = picker;
      j["compaction"] = OptionValue(o, "compaction");
      j["policy_objective"] = o.policy_objective;
      j["policy_model"] = o.policy_model;
      out.Object(j);
    } else {
      out.Line("picker in use:    " + picker);
      out.Line("compaction:       " + OptionValue(o, "compaction"));
      out.Line("policy_objective: " + o.policy_objective);
      out.Line("policy_model:     " + (o.policy_model.empty() ? "(built in)" : o.policy_model));
    }
    return kExitOk;
  }
  std::string text, source = "firn.policy.decisions";
  std::vector<std::string> lines;
  if (db->GetProperty("firn.policy.decisions", &text)) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  } else {
    source = "firn.events";
    if (!db->GetProperty("firn.events", &text)) text.clear();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (line.find("compaction") != std::string::npos) lines.push_back(std::move(line));
      start = end + 1;
    }
  }
  if (out.json()) {
    json j;
    j["source"] = source;
    j["lines"] = lines;
    out.Object(j);
  } else if (lines.empty()) {
    out.Line("no compaction decisions since the database was opened (" + source + ")");
  } else {
    for (const std::string& l : lines) out.Line(l);
  }
  return kExitOk;
}

int CmdOptions(Session& s, const Words& words) {
  int code;
  if (!NoArgs(s, words, "options", &code)) return code;
  if (s.out().json()) {
    json j = json::object();
    for (const auto& [n, v] : OptionPairs(s.options())) j[n] = v;
    s.out().Object(j);
  } else {
    for (const auto& [n, v] : OptionPairs(s.options())) s.out().Line(n + "=" + v);
  }
  return kExitOk;
}

int CmdSet(Session& s, const Words& words) {
  std::string name, value;
  if (words.size() == 1 && words[0].text.find('=') != std::string::npos) {
    const size_t eq = words[0].text.find('=');
    name = words[0].text.substr(0, eq);
    value = words[0].text.substr(eq + 1);
  } else if (words.size() == 2) {
    name = words[0].text;
    value = words[1].text;
  } else {
    return s.Usage("usage: set NAME VALUE");
  }
  firn::Status st = s.SetOption(name, value);
  if (st.IsInvalidArgument()) return s.Usage(st.message());
  if (!st.ok()) return s.Fail(st);
  if (s.out().json()) s.out().Object({{"op", "set"}, {"name", name}, {"value", value}});
  return kExitOk;
}

}  // namespace kvtool
