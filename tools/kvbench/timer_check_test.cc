// kvbench/timer_check_test.cc: end-to-end check of the machine timer check
// (timer_check.h). Runs the kvbench binary (argv[1]) on a tiny firn
// workload under a scratch directory (argv[2]) three ways and checks
// results.json and table.txt:
//   --timer_check=50  -> a "timer_check" object, 250 us <= p50 <= ... <= max
//   --timer_check=0   -> no object and no "machine:" line
//   --from_json       -> the line and object survive a re-render, and a
//                        results.json without the object still renders.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

using nlohmann::json;

int failures = 0;

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++failures;
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs kvbench with `args`; true if it exited 0.
bool Run(const std::string& kvbench, const std::string& args) {
  const std::string cmd = "'" + kvbench + "' " + args + " >/dev/null";
  return std::system(cmd.c_str()) == 0;
}

void CheckHasTimerCheck(const std::string& dir, int samples) {
  json doc = json::parse(ReadFile(dir + "/results.json"), nullptr, false);
  Check(doc.is_object() && doc.contains("timer_check"), dir + ": results.json has timer_check");
  if (!doc.is_object() || !doc.contains("timer_check")) return;
  const json& t = doc["timer_check"];
  auto num = [&](const char* key) { return t.contains(key) ? t[key].get<double>() : -1.0; };
  Check(num("sleep_us") == 250, dir + ": sleep_us == 250");
  Check(num("samples") == samples, dir + ": samples == " + std::to_string(samples));
  // sleep_for never returns early, so even p50 is at least the sleep.
  Check(num("p50_us") >= 250, dir + ": p50_us >= 250");
  Check(num("p50_us") <= num("p99_us") && num("p99_us") <= num("p999_us") &&
            num("p999_us") <= num("max_us"),
        dir + ": p50 <= p99 <= p99.9 <= max");
  Check(ReadFile(dir + "/table.txt").find("\nmachine: a 250 us sleep wakes after p50 ") !=
            std::string::npos,
        dir + ": table.txt has the machine line");
}

void CheckNoTimerCheck(const std::string& dir) {
  json doc = json::parse(ReadFile(dir + "/results.json"), nullptr, false);
  Check(doc.is_object() && doc.contains("engines") && !doc.contains("timer_check"),
        dir + ": results.json has engines and no timer_check");
  Check(ReadFile(dir + "/table.txt").find("machine:") == std::string::npos,
        dir + ": table.txt has no machine line");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: timer_check_test KVBENCH SCRATCH_DIR\n");
    return 2;
  }
  const std::string kvbench = argv[1], root = argv[2];
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  const std::string common = "--engines=firn --workloads=fillrandom --num=200 --plots=0 --db_dir='" +
                             root + "/db' --out_dir='" + root;

  Check(Run(kvbench, common + "/on' --timer_check=50"), "kvbench --timer_check=50 runs");
  CheckHasTimerCheck(root + "/on", 50);
  Check(Run(kvbench, common + "/off' --timer_check=0"), "kvbench --timer_check=0 runs");
  CheckNoTimerCheck(root + "/off");

  const std::string rerender = "--plots=0 --from_json='" + root;
  Check(Run(kvbench, rerender + "/on/results.json' --out_dir='" + root + "/on2'"),
        "--from_json with timer_check renders");
  CheckHasTimerCheck(root + "/on2", 50);
  Check(Run(kvbench, rerender + "/off/results.json' --out_dir='" + root + "/off2'"),
        "--from_json without timer_check renders");
  CheckNoTimerCheck(root + "/off2");

  if (failures == 0) std::filesystem::remove_all(root, ec);
  std::printf("%s\n", failures == 0 ? "PASS" : "FAILED");
  return failures == 0 ? 0 : 1;
}
