// kvbench/runner.cc: runs the workloads in a child process (runner.h).
#include "runner.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <numeric>
#include <nlohmann/json.hpp>
#include <thread>

#include "workloads.h"

namespace kvbench {

using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

struct ProcIo {
  uint64_t rchar = 0, wchar = 0, read_bytes = 0, write_bytes = 0, cancelled = 0;
};

ProcIo ReadProcIo() {
  ProcIo io;
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return io;
  char name[64];
  unsigned long long v;
  while (std::fscanf(f, "%63s %llu", name, &v) == 2) {
    if (std::strcmp(name, "rchar:") == 0) io.rchar = v;
    if (std::strcmp(name, "wchar:") == 0) io.wchar = v;
    if (std::strcmp(name, "read_bytes:") == 0) io.read_bytes = v;
    if (std::strcmp(name, "write_bytes:") == 0) io.write_bytes = v;
    if (std::strcmp(name, "cancelled_write_bytes:") == 0) io.cancelled = v;
  }
  std::fclose(f);
  return io;
}

struct Usage {
  double cpu_seconds;
  uint64_t peak_rss_kb;
};

Usage ReadUsage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return {secs(ru.ru_utime) + secs(ru.ru_stime), static_cast<uint64_t>(ru.ru_maxrss)};
}

uint64_t CurrentRssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.starts_with("VmRSS:")) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Bytes the directory's files occupy on the device (allocated blocks) and
// their apparent size.
void DiskUsage(const std::string& dir, uint64_t* allocated, uint64_t* apparent) {
  *allocated = *apparent = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      *allocated += static_cast<uint64_t>(st.st_blocks) * 512;
      *apparent += static_cast<uint64_t>(st.st_size);
    }
  }
}

uint64_t JsonCounter(const std::string& text, const char* name) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return 0;
  return j.value(name, uint64_t{0});
}

enum OpKind { kPut, kGet, kDelete, kScan, kRmw, kOpKinds };
const char* const kOpNames[kOpKinds] = {"put", "get", "delete", "scan", "rmw"};

json Latency(const Histogram& h) {
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return json{{"count", h.count()},        {"mean_us", h.mean() / 1000.0},
              {"p50_us", us(h.Percentile(0.50))}, {"p99_us", us(h.Percentile(0.99))},
              {"p999_us", us(h.Percentile(0.999))}, {"max_us", us(h.max())}};
}

// The workloads, in the order of KindOf's table.
enum WorkloadKind { kFillSeq, kFillRandom, kOverwrite, kLoad, kReadRandom, kSeekRandom, kDeleteRandom, kYcsbA, kYcsbB, kYcsbC, kYcsbD, kYcsbE, kYcsbF, kTimeSeries, kShifting, kWOther };
WorkloadKind KindOf(std::string_view name) {
  static const char* const kNames[] = {"fillseq", "fillrandom", "overwrite", "load", "readrandom", "seekrandom", "deleterandom", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-d", "ycsb-e", "ycsb-f", "timeseries", "shifting"};
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (name == kNames[i]) return static_cast<WorkloadKind>(i);
  }
  return kWOther;
}

struct ThreadState {
  explicit ThreadState(uint64_t seed) : rnd(seed) {}
  Random rnd;
  size_t value_pos = 0;
  Histogram hist[kOpKinds];
  uint64_t found = 0, reads = 0, scanned = 0;
  std::string value;
  std::string error;
};

class Bench {
 public:
  Bench(const Flags& flags, Adapter* db)
      : f_(flags), db_(db), values_(flags.compression_ratio, flags.seed),
        zipf_(flags.num, 0.99), insert_next_(flags.num) {
    io_base_ = ReadProcIo();
    start_ = Clock::now();
  }

  // Runs one workload ("name" or "name:ops") and returns its result object;
  // false with *error on the first failed operation.
  bool Run(const std::string& spec, json* out, std::string* error);

  uint64_t user_bytes() const { return user_bytes_.load(); }
  const ProcIo& io_base() const { return io_base_; }
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  void Worker(const std::string& name, int tid, uint64_t ops, ThreadState* t);
  void Sample();

  const Flags& f_;
  Adapter* db_;
  ValueSource values_;
  Zipfian zipf_;
  std::atomic<uint64_t> user_bytes_{0};
  std::atomic<uint64_t> insert_next_;  // next new key for YCSB inserts
  ProcIo io_base_;
  Clock::time_point start_;
  std::mutex series_mu_;
  json series_ = json::array();
  uint64_t sample_every_ = 1;
};

void Bench::Sample() {
  ProcIo io = ReadProcIo();
  json point = {{"t", Elapsed()},
                {"user_bytes", user_bytes_.load()},
                {"device_bytes", io.write_bytes - io_base_.write_bytes}};
  std::string stats = db_->StatsJson();
  if (stats.size() > 2) point["engine_device_bytes"] = JsonCounter(stats, "device_bytes_written");
  std::lock_guard<std::mutex> l(series_mu_);
  series_.push_back(std::move(point));
}

void Bench::Worker(const std::string& name, int tid, uint64_t ops, ThreadState* t) {
  const size_t ks = f_.key_size;
  char key_buf[1024];
  std::string_view key(key_buf, ks);
  std::string& err = t->error;
  const uint64_t num = f_.num;
  const uint64_t first = static_cast<uint64_t>(tid) * ops;  // this thread's slice
  // Multiplier of the "load" permutation: coprime with num.
  uint64_t perm = 1000003;
  while (std::gcd(perm, num) != 1) perm += 2;

  auto put = [&](uint64_t k, char prefix) {
    FormatKey(k, ks, prefix, key_buf);
    std::string_view v = values_.Get(f_.value_size, &t->value_pos);
    user_bytes_.fetch_add(ks + v.size(), std::memory_order_relaxed);
    return db_->Put(key, v, &err);
  };
  auto get = [&](uint64_t k) {
    FormatKey(k, ks, '\0', key_buf);
    bool found = false;
    bool ok = db_->Get(key, &t->value, &found, &err);
    t->reads++;
    t->found += found;
    return ok;
  };
  auto del = [&](uint64_t k, char prefix) {
    FormatKey(k, ks, prefix, key_buf);
    user_bytes_.fetch_add(ks, std::memory_order_relaxed);
    return db_->Delete(key, &err);
  };
  auto scan = [&](uint64_t k, int len) {
    FormatKey(k, ks, '\0', key_buf);
    int read = 0;
    bool ok = db_->Scan(key, len, &read, &err);
    t->scanned += static_cast<uint64_t>(read);
    return ok;
  };
  auto zipf = [&] { return zipf_.NextScrambled(&t->rnd); };
  auto latest = [&] {
    uint64_t newest = insert_next_.load(std::memory_order_relaxed) - 1;
    uint64_t back = zipf_.Next(&t->rnd);
    return back > newest ? 0 : newest - back;
  };
  auto insert = [&] { return put(insert_next_.fetch_add(1, std::memory_order_relaxed), '\0'); };

  // Timeseries keys: thread tid owns keys tid * 2^40 + i; the window is
  // split evenly between threads.
  const uint64_t ts_base = static_cast<uint64_t>(tid) << 40;
  const uint64_t ts_window = std::max<uint64_t>(1, f_.ts_window / f_.threads);
  uint64_t ts_oldest = 0;

  const WorkloadKind w = KindOf(name);
  for (uint64_t i = 0; i < ops; ++i) {
    Clock::time_point t0 = Clock::now();
    OpKind kind = kPut;
    bool ok = true;
    uint64_t r = t->rnd.Uniform(100);
    if (w == kFillSeq) {
      ok = put(first + i, '\0');
    } else if (w == kFillRandom || w == kOverwrite) {
      ok = put(t->rnd.Uniform(num), '\0');
    } else if (w == kLoad) {
      ok = put(((first + i) * perm) % num, '\0');
    } else if (w == kReadRandom) {
      kind = kGet, ok = get(t->rnd.Uniform(num));
    } else if (w == kSeekRandom) {
      kind = kScan, ok = scan(t->rnd.Uniform(num), f_.scan_length);
    } else if (w == kDeleteRandom) {
      kind = kDelete, ok = del(t->rnd.Uniform(num), '\0');
    } else if (w == kYcsbA) {
      if (r < 50) kind = kGet, ok = get(zipf());
      else ok = put(zipf(), '\0');
    } else if (w == kYcsbB) {
      if (r < 95) kind = kGet, ok = get(zipf());
      else ok = put(zipf(), '\0');
    } else if (w == kYcsbC) {
      kind = kGet, ok = get(zipf());
    } else if (w == kYcsbD) {
      if (r < 95) kind = kGet, ok = get(latest());
      else ok = insert();
    } else if (w == kYcsbE) {
      if (r < 95) kind = kScan, ok = scan(zipf(), 1 + static_cast<int>(t->rnd.Uniform(100)));
      else ok = insert();
    } else if (w == kYcsbF) {
      if (r < 50) {
        kind = kGet, ok = get(zipf());
      } else {
        kind = kRmw;
        uint64_t k = zipf();
        ok = get(k) && put(k, '\0');
      }
    } else if (w == kTimeSeries) {
      if (i >= ts_window && i % f_.ts_delete_batch == 0) {
        // Window full: drop the oldest batch (each delete timed on its own).
        for (uint64_t d = 0; d < f_.ts_delete_batch && ok && ts_oldest + ts_window <= i; ++d) {
          Clock::time_point d0 = Clock::now();
          ok = del(ts_base + ts_oldest++, 't');
          t->hist[kDelete].Add(static_cast<uint64_t>((Clock::now() - d0).count()));
        }
        t0 = Clock::now();
      }
      ok = ok && put(ts_base + i, 't');
    } else if (w == kShifting) {
      uint64_t phase = ops >= 4 ? i / (ops / 4) : 0;
      if (phase == 0) {
        ok = put(t->rnd.Uniform(num), '\0');
      } else if (phase == 1) {
        if (r < 50) kind = kGet, ok = get(zipf());
        else ok = put(zipf(), '\0');
      } else if (phase == 2) {
        if (r < 90) kind = kScan, ok = scan(t->rnd.Uniform(num), f_.scan_length);
        else ok = put(t->rnd.Uniform(num), '\0');
      } else {
        if (r < 95) kind = kGet, ok = get(t->rnd.Uniform(num));
        else kind = kDelete, ok = del(t->rnd.Uniform(num), '\0');
      }
    }
    t->hist[kind].Add(static_cast<uint64_t>((Clock::now() - t0).count()));
    if (!ok) return;
    if (tid == 0 && (i + 1) % sample_every_ == 0) Sample();
  }
}

bool Bench::Run(const std::string& spec, json* out, std::string* error) {
  size_t colon = spec.find(':');
  std::string name = spec.substr(0, colon);
  uint64_t ops = f_.ops != 0 ? f_.ops : f_.num;
  if (colon != std::string::npos) ops = std::strtoull(spec.c_str() + colon + 1, nullptr, 10);
  const int threads = f_.threads;
  const uint64_t per_thread = std::max<uint64_t>(1, ops / static_cast<uint64_t>(threads));
  sample_every_ = std::max<uint64_t>(1, per_thread / std::max(1, f_.series_points));

  const ProcIo io0 = ReadProcIo();
  const Usage u0 = ReadUsage();
  const uint64_t user0 = user_bytes_.load();
  std::string stats0 = db_->StatsJson();
  series_ = json::array();
  Sample();
  Clock::time_point t0 = Clock::now();

  std::vector<std::unique_ptr<ThreadState>> states;
  for (int i = 0; i < threads; ++i) {
    states.push_back(std::make_unique<ThreadState>(f_.seed * 7919 + ops * 31 + name.size() * 131 +
                                                   static_cast<uint64_t>(i) + 1));
  }
  uint64_t seq_read = 0;
  if (name == "readseq") {
    // One ordered pass; its latency figures are per entry (mean only).
    ThreadState* t = states[0].get();
    Clock::time_point s0 = Clock::now();
    if (!db_->ScanAll(ops, &seq_read, &t->error)) {
      *error = t->error;
      return false;
    }
    uint64_t ns = static_cast<uint64_t>((Clock::now() - s0).count());
    if (seq_read > 0) t->hist[kScan].Add(ns / seq_read);
    t->scanned = seq_read;
  } else if (threads == 1) {
    Worker(name, 0, per_thread, states[0].get());
  } else {
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back([&, i] { Worker(name, i, per_thread, states[static_cast<size_t>(i)].get()); });
    }
    for (std::thread& th : pool) th.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const auto& s : states) {
    if (!s->error.empty()) {
      *error = name + ": " + s->error;
      return false;
    }
  }
  Sample();
  const ProcIo io1 = ReadProcIo();
  const Usage u1 = ReadUsage();
  const uint64_t user = user_bytes_.load() - user0;
  std::string stats1 = db_->StatsJson();

  Histogram all, per_op[kOpKinds];
  uint64_t found = 0, reads = 0, scanned = 0;
  for (const auto& s : states) {
    for (int k = 0; k < kOpKinds; ++k) {
      per_op[k].Merge(s->hist[k]);
      all.Merge(s->hist[k]);
    }
    found += s->found;
    reads += s->reads;
    scanned += s->scanned;
  }
  const uint64_t done_ops = name == "readseq" ? seq_read : per_thread * threads;
  json r;
  r["workload"] = name;
  r["ops"] = done_ops;
  r["threads"] = threads;
  r["seconds"] = seconds;
  r["ops_per_sec"] = seconds > 0 ? done_ops / seconds : 0.0;
  r["latency"] = Latency(all);
  json ops_json = json::object();
  for (int k = 0; k < kOpKinds; ++k) {
    if (per_op[k].count() > 0) ops_json[kOpNames[k]] = Latency(per_op[k]);
  }
  r["per_op"] = ops_json;
  json cdf = json::array();
  for (const auto& [ns, frac] : all.Cdf(120)) cdf.push_back({ns / 1000.0, frac});
  r["cdf"] = cdf;
  r["reads"] = reads;
  r["found"] = found;
  r["scanned"] = scanned;
  r["user_bytes"] = user;
  r["device_bytes"] = io1.write_bytes - io0.write_bytes;
  r["syscall_bytes"] = io1.wchar - io0.wchar;
  r["device_read_bytes"] = io1.read_bytes - io0.read_bytes;
  r["wa_device"] = user > 0 ? static_cast<double>(io1.write_bytes - io0.write_bytes) / user : 0.0;
  if (stats1.size() > 2) {
    uint64_t dev = JsonCounter(stats1, "device_bytes_written") - JsonCounter(stats0, "device_bytes_written");
    uint64_t usr = JsonCounter(stats1, "user_bytes_written") - JsonCounter(stats0, "user_bytes_written");
    r["engine_device_bytes"] = dev;
    r["engine_user_bytes"] = usr;
    r["wa_engine"] = usr > 0 ? static_cast<double>(dev) / usr : 0.0;
  }
  r["cpu_seconds"] = u1.cpu_seconds - u0.cpu_seconds;
  r["peak_rss_kb"] = u1.peak_rss_kb;
  r["series"] = series_;
  *out = std::move(r);
  return true;
}

void Emit(const json& j) {
  std::string line = kResultPrefix + j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int RunChild(const Flags& flags) {
  const std::string& spec = flags.config.spec;
  const uint64_t harness_rss_kb = CurrentRssKb();
  std::unique_ptr<Adapter> db = NewAdapter(EngineFamily(spec));
  if (db == nullptr) {
    std::fprintf(stderr, "kvbench: engine '%s' is not built into this binary\n", spec.c_str());
    return 2;
  }
  std::string error;
  if (!db->Open(flags.config, flags.db_path, &error)) {
    std::fprintf(stderr, "kvbench: %s: open %s: %s\n", spec.c_str(), flags.db_path.c_str(),
                 error.c_str());
    return 1;
  }
  Bench bench(flags, db.get());
  for (const std::string& w : flags.workloads) {
    json r;
    if (!bench.Run(w, &r, &error)) {
      std::fprintf(stderr, "kvbench: %s: %s\n", spec.c_str(), error.c_str());
      return 1;
    }
    r["engine"] = spec;
    Emit(r);
  }

  // Totals: the process figures before the (untimed) live-data scan, so
  // the scan's cache use does not count in the peak RSS.
  json t;
  t["engine"] = spec;
  t["workload"] = "total";
  t["harness_rss_kb"] = harness_rss_kb;
  const Usage usage = ReadUsage();
  t["peak_rss_kb"] = usage.peak_rss_kb;
  t["cpu_seconds"] = usage.cpu_seconds;
  std::string stats = db->StatsJson();
  if (stats.size() > 2) {
    uint64_t dev = JsonCounter(stats, "device_bytes_written");
    uint64_t usr = JsonCounter(stats, "user_bytes_written");
    t["engine_device_bytes"] = dev;
    t["engine_user_bytes"] = usr;
    t["wa_engine"] = usr > 0 ? static_cast<double>(dev) / usr : 0.0;
    t["engine_stats"] = json::parse(stats, nullptr, false);
  }
  uint64_t live_bytes = 0, live_entries = 0;
  if (flags.live_scan) {
    // Live data = sum of key + value sizes of what a full scan returns.
    uint64_t n = 0;
    if (!db->ScanAll(~0ull, &n, &error)) {
      std::fprintf(stderr, "kvbench: %s: live scan: %s\n", spec.c_str(), error.c_str());
      return 1;
    }
    live_entries = n;
    live_bytes = n * (flags.key_size + flags.value_size);
  }
  if (!db->Close(&error)) {
    std::fprintf(stderr, "kvbench: %s: close: %s\n", spec.c_str(), error.c_str());
    return 1;
  }
  db.reset();
  const ProcIo io = ReadProcIo();
  const uint64_t user = bench.user_bytes();
  const uint64_t device = io.write_bytes - bench.io_base().write_bytes;
  t["seconds"] = bench.Elapsed();
  t["user_bytes"] = user;
  t["device_bytes"] = device;
  t["syscall_bytes"] = io.wchar - bench.io_base().wchar;
  t["cancelled_write_bytes"] = io.cancelled - bench.io_base().cancelled;
  t["wa_device"] = user > 0 ? static_cast<double>(device) / user : 0.0;
  uint64_t allocated = 0, apparent = 0;
  DiskUsage(flags.db_path, &allocated, &apparent);
  t["disk_bytes"] = allocated;
  t["disk_apparent_bytes"] = apparent;
  t["live_entries"] = live_entries;
  t["live_bytes"] = live_bytes;
  t["space_amp"] = live_bytes > 0 ? static_cast<double>(allocated) / live_bytes : 0.0;
  Emit(t);
  return 0;
}

std::string EngineFamily(std::string_view spec) {
  size_t end = spec.find_first_of(":-");
  return std::string(spec.substr(0, end));
}

}  // namespace kvbench
