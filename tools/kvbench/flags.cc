// kvbench/flags.cc: the hand-written "--name=value" parser.
#include "flags.h"

#include <cstdlib>
#include <string_view>

#include "workloads.h"

namespace kvbench {
namespace {

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// A decimal integer with an optional K, M or G suffix (powers of two).
bool ParseSize(std::string_view s, uint64_t* v) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  char last = s.back();
  if (last == 'K' || last == 'k') mult = 1ull << 10;
  if (last == 'M' || last == 'm') mult = 1ull << 20;
  if (last == 'G' || last == 'g') mult = 1ull << 30;
  if (mult != 1) s.remove_suffix(1);
  if (s.empty()) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    r = r * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = r * mult;
  return true;
}

bool ParseBool(std::string_view s, bool* v) {
  if (s == "1" || s == "true" || s == "on" || s == "yes") return *v = true, true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return *v = false, true;
  return false;
}

}  // namespace

bool ParseFlags(int argc, char** argv, Flags* f, bool* help, std::string* error) {
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return true;
    }
    if (!arg.starts_with("--")) {
      *error = "unexpected argument '" + std::string(arg) + "'";
      return false;
    }
    arg.remove_prefix(2);
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    bool bare = eq == std::string_view::npos;
    std::string_view value = bare ? std::string_view("1") : arg.substr(eq + 1);
    uint64_t n = 0;
    bool ok = true;
    auto size = [&](auto* field) {
      ok = ParseSize(value, &n);
      if (ok) *field = static_cast<std::remove_reference_t<decltype(*field)>>(n);
    };
    if (name == "engines") {
      f->engines = SplitList(value);
      ok = !f->engines.empty();
    } else if (name == "workloads") {
      f->workloads = SplitList(value);
      for (const std::string& w : f->workloads) {
        std::string_view base = std::string_view(w).substr(0, w.find(':'));
        if (!IsKnownWorkload(base)) {
          *error = "unknown workload '" + std::string(base) + "'";
          return false;
        }
      }
    } else if (name == "num") {
      size(&f->num);
    } else if (name == "ops") {
      size(&f->ops);
    } else if (name == "key_size") {
      size(&f->key_size);
      ok = ok && f->key_size >= 4 && f->key_size <= 1024;
    } else if (name == "value_size") {
      size(&f->value_size);
      ok = ok && f->value_size <= (1u << 20);
    } else if (name == "compression_ratio") {
      char* end = nullptr;
      std::string v(value);
      f->compression_ratio = std::strtod(v.c_str(), &end);
      ok = end != v.c_str() && *end == '\0' && f->compression_ratio > 0 &&
           f->compression_ratio <= 1;
    } else if (name == "threads") {
      size(&f->threads);
      ok = ok && f->threads >= 1 && f->threads <= 256;
    } else if (name == "scan_length") {
      size(&f->scan_length);
    } else if (name == "ts_window") {
      size(&f->ts_window);
    } else if (name == "ts_delete_batch") {
      size(&f->ts_delete_batch);
      ok = ok && f->ts_delete_batch > 0;
    } else if (name == "seed") {
      size(&f->seed);
    } else if (name == "series_points") {
      size(&f->series_points);
    } else if (name == "timer_check") {
      size(&f->timer_check);
      ok = ok && n <= 1000000;
    } else if (name == "sync") {
      ok = ParseBool(value, &f->config.sync);
    } else if (name == "live_scan") {
      ok = ParseBool(value, &f->live_scan);
    } else if (name == "keep_db") {
      ok = ParseBool(value, &f->keep_db);
    } else if (name == "use_existing") {
      ok = ParseBool(value, &f->use_existing);
      if (f->use_existing) f->keep_db = true;
    } else if (name == "plots") {
      ok = ParseBool(value, &f->plots);
    } else if (name == "compression") {
      ok = ParseBool(value, &f->config.compression);
    } else if (name == "write_buffer_bytes") {
      size(&f->config.write_buffer_bytes);
    } else if (name == "block_bytes") {
      size(&f->config.block_bytes);
    } else if (name == "block_cache_bytes") {
      size(&f->config.block_cache_bytes);
    } else if (name == "target_file_bytes") {
      size(&f->config.target_file_bytes);
    } else if (name == "bloom_bits_per_key") {
      size(&f->config.bloom_bits_per_key);
    } else if (name == "max_open_files") {
      size(&f->config.max_open_files);
    } else if (name == "db_dir") {
      f->db_dir = value;
    } else if (name == "from_json") {
      f->from_json = value;
    } else if (name == "out_dir") {
      f->out_dir = value;
    } else if (name == "child") {
      ok = ParseBool(value, &f->child);
    } else if (name == "engine") {
      f->config.spec = value;
    } else if (name == "db") {
      f->db_path = value;
    } else {
      *error = "unknown flag '--" + std::string(name) + "' (see --help)";
      return false;
    }
    if (!ok) {
      *error = "bad value for --" + std::string(name) + ": '" + std::string(value) + "'";
      return false;
    }
  }
  if (f->ts_window == 0) f->ts_window = f->num / 4 > 0 ? f->num / 4 : 1;
  return true;
}

const char* FlagsHelp() {
  return "usage: kvbench [--flag=value ...]\n"
         "Runs a sequence of workloads on each engine, one child process per engine,\n"
         "and prints a table (and with --out_dir: JSON, CSV and gnuplot SVG plots).\n"
         "\n"
         "  --engines=LIST        firn[:opt=val:...], leveldb, rocksdb-leveled,\n"
         "                        rocksdb-universal (default firn). firn options are\n"
         "                        Options::Set names, e.g. firn:compaction=tiered\n"
         "  --workloads=LIST      name or name:ops, run in order on one database\n"
         "  --num=N               key space (default 1M)\n"
         "  --ops=N               default ops per workload (default num)\n"
         "  --key_size=B --value_size=B   (16, 100)\n"
         "  --compression_ratio=R compressed/raw size of values (0.5)\n"
         "  --threads=T           client threads (1)\n"
         "  --sync=0|1            sync every write (0)\n"
         "  --scan_length=N       entries per seekrandom scan (50)\n"
         "  --ts_window=N --ts_delete_batch=N   timeseries window (num/4) and batch (1000)\n"
         "  --write_buffer_bytes=4M --block_cache_bytes=1M --block_bytes=4K\n"
         "  --target_file_bytes=2M --bloom_bits_per_key=10 --max_open_files=64\n"
         "  --compression=0|1     LZ4 (Snappy for LevelDB) (1)\n"
         "  --db_dir=DIR          databases go in DIR/<engine> (/tmp/kvbench)\n"
         "  --out_dir=DIR         write results.json, results.csv, table.txt, plots\n"
         "  --from_json=FILE      re-render FILE (a results.json) into --out_dir\n"
         "  --plots=0|1           run gnuplot when --out_dir is given (1)\n"
         "  --live_scan=0|1       measure live data with a scan at the end (1)\n"
         "  --keep_db             leave the databases in place\n"
         "  --use_existing        run on the databases a --keep_db run left\n"
         "  --seed=N --series_points=N\n"
         "  --timer_check=N       before the engines run, time N sleeps of 250 us and\n"
         "                        print how late this machine wakes a thread (2000;\n"
         "                        0 = off)\n"
         "\nworkloads:\n";
}

}  // namespace kvbench
