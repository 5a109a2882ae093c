// kvbench: runs named workloads against firn, LevelDB and RocksDB through
// one adapter interface (adapter.h) and reports throughput, latency, write
// and space amplification, memory and CPU (docs/benchmarks.md).
//
// The driver forks and execs one child per engine; the child runs the whole
// workload sequence on a fresh database and prints its results as JSON lines
// (runner.h), so memory and I/O figures are each engine's own. firn children
// are this binary; LevelDB and RocksDB children are the sibling binaries
// kvbench-leveldb and kvbench-rocksdb, built only when meson finds those
// libraries, so firn's process never loads them.
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flags.h"
#include "report.h"
#include "runner.h"
#include "timer_check.h"
#include "workloads.h"

namespace kvbench {
namespace {

using nlohmann::json;

std::string SelfPath() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The binary that drives `family`'s engine.
std::string ChildBinary(const std::string& family) {
  std::string self = SelfPath();
  if (NewAdapter(family) != nullptr) return self;
  return (std::filesystem::path(self).parent_path() / ("kvbench-" + family)).string();
}

// A directory name for a spec ("firn:compaction=tiered" -> "firn_compaction-tiered").
std::string DirName(const std::string& spec) {
  std::string d;
  for (char c : spec) d += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : (c == '=' ? '-' : '_');
  return d;
}

// Runs one engine's child; appends its result lines to *engine.
bool RunEngine(int argc, char** argv, const Flags& flags, const std::string& spec, json* engine) {
  const std::string binary = ChildBinary(EngineFamily(spec));
  if (::access(binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "kvbench: %s: %s not built (is the library installed?)\n", spec.c_str(),
                 binary.c_str());
    return false;
  }
  const std::string db = flags.db_dir + "/" + DirName(spec);
  std::error_code ec;
  if (!flags.use_existing) std::filesystem::remove_all(db, ec);
  std::filesystem::create_directories(flags.db_dir, ec);

  std::vector<std::string> args = {binary};
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  args.push_back("--child");
  args.push_back("--engine=" + spec);
  args.push_back("--db=" + db);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  int fds[2];
  if (::pipe(fds) != 0) return false;
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(binary.c_str(), cargs.data());
    std::fprintf(stderr, "kvbench: exec %s: %s\n", binary.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::FILE* in = ::fdopen(fds[0], "r");
  (*engine)["engine"] = spec;
  (*engine)["workloads"] = json::array();
  std::string line;
  char buf[1 << 16];
  const std::string prefix = kResultPrefix;
  while (std::fgets(buf, sizeof(buf), in) != nullptr) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    if (line.starts_with(prefix)) {
      json r = json::parse(line.substr(prefix.size()), nullptr, false);
      if (r.is_object()) {
        if (r["workload"] == "total") {
          (*engine)["total"] = r;
        } else {
          std::fprintf(stderr, "kvbench: %-22s %-12s %10.0f ops/s\n", spec.c_str(),
                       r["workload"].get<std::string>().c_str(), r["ops_per_sec"].get<double>());
          (*engine)["workloads"].push_back(r);
        }
      }
    } else {
      std::fputs(line.c_str(), stdout);
    }
    line.clear();
  }
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!flags.keep_db) std::filesystem::remove_all(db, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !engine->contains("total")) {
    std::fprintf(stderr, "kvbench: %s: child failed (status %d)\n", spec.c_str(), status);
    return false;
  }
  return true;
}

}  // namespace
}  // namespace kvbench

int main(int argc, char** argv) {
  using namespace kvbench;
  Flags flags;
  bool help = false;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &help, &error)) {
    std::fprintf(stderr, "kvbench: %s\n", error.c_str());
    return 2;
  }
  if (help) {
    std::printf("%s%s", FlagsHelp(), WorkloadHelp());
    return 0;
  }
  if (flags.child) return RunChild(flags);
  if (!flags.from_json.empty()) {
    std::ifstream in(flags.from_json);
    json doc = json::parse(in, nullptr, false);
    if (!doc.is_object() || !doc.contains("engines")) {
      std::fprintf(stderr, "kvbench: %s is not a kvbench results.json\n", flags.from_json.c_str());
      return 2;
    }
    // Older results.json files have no "timer_check": no line, null below.
    const json timer_check = doc.value("timer_check", json());
    std::printf("%s%s", FormatTimerCheck(timer_check).c_str(), FormatTable(doc["engines"]).c_str());
    if (!flags.out_dir.empty() &&
        !WriteReport(doc["engines"], doc.value("command", std::string()), timer_check,
                     flags.out_dir, flags.plots, &error)) {
      std::fprintf(stderr, "kvbench: %s\n", error.c_str());
      return 1;
    }
    return 0;
  }

  std::string command = "kvbench";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  // Before any child starts, so no engine competes with the sleeps.
  const json timer_check = MeasureTimerCheck(flags.timer_check);
  json results = json::array();
  bool ok = true;
  for (const std::string& spec : flags.engines) {
    json engine;
    if (!RunEngine(argc, argv, flags, spec, &engine)) {
      ok = false;
      continue;
    }
    results.push_back(std::move(engine));
  }
  std::printf("%s%s", FormatTimerCheck(timer_check).c_str(), FormatTable(results).c_str());
  if (!flags.out_dir.empty() &&
      !WriteReport(results, command, timer_check, flags.out_dir, flags.plots, &error)) {
    std::fprintf(stderr, "kvbench: %s\n", error.c_str());
    return 1;
  }
  return ok ? 0 : 1;
}
