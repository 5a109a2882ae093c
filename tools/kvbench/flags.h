// kvbench/flags.h: command-line flags ("--name=value"; a bare "--name" sets
// a boolean) shared by the driver and the per-engine child processes.
#ifndef KVBENCH_FLAGS_H_
#define KVBENCH_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "adapter.h"

namespace kvbench {

struct Flags {
  // Driver: the engines to compare, each run in its own child process.
  std::vector<std::string> engines = {"firn"};
  // Workload sequence, each "name" or "name:ops", run in order on one
  // database per engine.
  std::vector<std::string> workloads = {"fillrandom", "readrandom"};
  uint64_t num = 1000000;  // key space [0, num)
  uint64_t ops = 0;        // default operations per workload; 0 = num
  size_t key_size = 16;
  size_t value_size = 100;
  double compression_ratio = 0.5;  // compressed/raw size of values (db_bench)
  int threads = 1;
  int scan_length = 50;            // seekrandom entries per seek
  uint64_t ts_window = 0;          // timeseries live keys; 0 = num / 4
  uint64_t ts_delete_batch = 1000;
  uint64_t seed = 301;
  int series_points = 40;          // samples per workload for the time series
  bool live_scan = true;           // count live data with a full scan at the end
  bool keep_db = false;
  bool use_existing = false;       // reuse DIR/<engine> (implies keep_db)
  bool plots = true;
  std::string db_dir = "/tmp/kvbench";
  std::string out_dir;             // results.{json,csv}, table.txt, plots
  std::string from_json;           // re-render a results.json, run nothing
  int timer_check = 2000;          // 250 us sleeps timed before the run; 0 = off
  EngineConfig config;             // spec is set per child

  // Child only (set by the driver).
  bool child = false;
  std::string db_path;
};

// Parses argv[1..]. Returns false with a message in *error for an unknown
// flag or bad value; sets *help for --help.
bool ParseFlags(int argc, char** argv, Flags* flags, bool* help, std::string* error);
const char* FlagsHelp();

}  // namespace kvbench

#endif  // KVBENCH_FLAGS_H_
