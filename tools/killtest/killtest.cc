// firn-killtest: kills a writing process at random moments and checks what
// survives (docs/durability.md, promises 1 and 3).
//
// The parent runs a child (this program again, with --child) that opens the
// database in a real directory through the POSIX Env and applies a stream
// of operations: puts, deletes, write batches, synced writes and Sync().
// Operation number `seq` is a pure function of (--seed, seq), so anyone can
// regenerate it; a value names the key and the seq that wrote it. After an
// operation is acknowledged the child appends its seq (8 bytes, little
// endian) to an oracle file with write(2). The parent SIGKILLs the child
// after a random delay, reopens the database and checks that its whole
// contents (full scan and a Get of every key of the key space) equal the
// state after ops [1, acked] or after [1, acked + 1]: the acknowledged
// operations all survived, nothing else appeared, and the state is a
// prefix of the operation stream (the one op in flight at the kill may or
// may not have landed, but as a whole). The next child continues from the
// recovered prefix.
//
// Usage:
//   firn-killtest [--kills N] [--seed S] [--dir D] [--picker P]
//                 [--soak-seconds T] [--max-delay-ms M] [--keys K]
//                 [--lose-unsynced]
// --picker is tiered, leveled, learned or all (each in turn). With
// --soak-seconds, kills go on until the time is up (--kills is then a
// minimum). --lose-unsynced wraps the Env so that data written but not
// synced stays in the process (a broken engine): the test must then fail;
// it proves the check can see a lost acknowledged write.
// Exit status 0 when every kill recovered correctly.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firn/db.h"
#include "firn/options.h"
#include "firn/write_batch.h"
#include "port/env.h"

namespace firn {
namespace {

struct Flags {
  int kills = 20;
  uint64_t seed = 1;
  std::string dir;
  std::string picker = "all";
  double soak_seconds = 0;
  int max_delay_ms = 250;
  int keys = 1500;
  bool lose_unsynced = false;
  // Child mode.
  bool child = false;
  uint64_t start_seq = 1;
};

// splitmix64: the generator every op is drawn from.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t s) : state_(s) {}
  uint64_t Next() { return state_ = Mix(state_); }
  uint64_t Uniform(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

struct Mutation {
  bool is_delete = false;
  std::string key;
  std::string value;
};

struct Op {
  enum Kind { kPut, kDelete, kBatch } kind = kPut;
  bool sync = false;        // WriteOptions::sync
  bool sync_after = false;  // DB::Sync() after the write
  std::vector<Mutation> mutations;
};

std::string KeyName(uint64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06" PRIu64, k);
  return buf;
}

// "<key>@<seq>#" then filler whose length depends on both: readers parse
// the prefix to tell which write produced a value.
std::string ValueFor(const std::string& key, uint64_t seq, Rng* rng) {
  std::string v = key + "@" + std::to_string(seq) + "#";
  const size_t fill = 16 + rng->Uniform(240);
  for (size_t i = 0; i < fill; ++i) v.push_back(static_cast<char>('a' + (seq + i) % 26));
  return v;
}

Op MakeOp(uint64_t seed, uint64_t seq, int keys) {
  Rng rng(Mix(seed * 0x100000001b3ull) ^ Mix(seq));
  Op op;
  const uint64_t r = rng.Uniform(100);
  auto mutation = [&](bool del) {
    Mutation m;
    m.is_delete = del;
    m.key = KeyName(rng.Uniform(keys));
    if (!del) m.value = ValueFor(m.key, seq, &rng);
    return m;
  };
  if (r < 60) {
    op.kind = Op::kPut;
    op.mutations.push_back(mutation(false));
  } else if (r < 75) {
    op.kind = Op::kDelete;
    op.mutations.push_back(mutation(true));
  } else {
    op.kind = Op::kBatch;
    const int n = 2 + static_cast<int>(rng.Uniform(30));
    for (int i = 0; i < n; ++i) op.mutations.push_back(mutation(rng.Uniform(4) == 0));
  }
  const uint64_t s = rng.Uniform(1000);
  op.sync = s < 15;
  op.sync_after = s >= 15 && s < 20;
  return op;
}

void Apply(const Op& op, std::map<std::string, std::string>* state) {
  for (const Mutation& m : op.mutations) {
    if (m.is_delete) {
      state->erase(m.key);
    } else {
      (*state)[m.key] = m.value;
    }
  }
}

Status PickerOptions(const std::string& picker, Options* options) {
  Status s = options->Set("compaction", picker);
  if (!s.ok()) return s;
  // Small everything, so flushes and compactions happen every few hundred
  // operations and kills land inside them.
  options->memtable_bytes = 64 << 10;
  options->max_pending_flush_bytes = 64 << 10;
  options->sst_target_bytes = 64 << 10;
  options->block_bytes = 1024;
  options->leveled_base_bytes = 64 << 10;
  options->leveled_multiplier = 4;
  options->max_runs_per_level = 2;
  options->num_levels = 4;
  options->block_cache_bytes = 256 << 10;
  return options->Validate();
}

// --lose-unsynced: a deliberately broken Env whose files keep appended data
// in the process until Sync or Close. A kill then loses acknowledged
// unsynced writes, which the parent must notice.
class LosingFile : public WritableFile {
 public:
  explicit LosingFile(std::unique_ptr<WritableFile> base) : base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    pending_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override {
    Status s = Drain();
    return s.ok() ? base_->Sync() : s;
  }
  Status Close() override {
    Status s = Drain();
    return s.ok() ? base_->Close() : s;
  }

 private:
  Status Drain() {
    Status s = base_->Append(pending_);
    pending_.clear();
    if (s.ok()) s = base_->Flush();
    return s;
  }
  std::unique_ptr<WritableFile> base_;
  std::string pending_;
};

class LosingEnv : public EnvWrapper {
 public:
  explicit LosingEnv(Env* base) : EnvWrapper(base) {}
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    std::unique_ptr<WritableFile> base;
    Status s = target()->NewWritableFile(f, &base);
    if (s.ok()) r->reset(new LosingFile(std::move(base)));
    return s;
  }
  Status NewAppendableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    std::unique_ptr<WritableFile> base;
    Status s = target()->NewAppendableFile(f, &base);
    if (s.ok()) r->reset(new LosingFile(std::move(base)));
    return s;
  }
};

std::string DbPath(const Flags& f) { return f.dir + "/db"; }
std::string OraclePath(const Flags& f) { return f.dir + "/oracle"; }

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "killtest child: %s: %s\n", what, s.ToString().c_str());
  std::fflush(stderr);
  _exit(2);
}

// Child mode: never returns; runs until killed.
[[noreturn]] void RunChild(const Flags& f) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int fd = open(OraclePath(f).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("killtest child: oracle");
    _exit(2);
  }
  Options options;
  Status s = PickerOptions(f.picker, &options);
  if (!s.ok()) Die("options", s);
  std::unique_ptr<LosingEnv> losing;
  if (f.lose_unsynced) {
    losing = std::make_unique<LosingEnv>(Env::Default());
    options.env = losing.get();
  }
  std::unique_ptr<DB> db;
  s = DB::Open(options, DbPath(f), &db);
  if (!s.ok()) Die("open", s);
  for (uint64_t seq = f.start_seq;; ++seq) {
    const Op op = MakeOp(f.seed, seq, f.keys);
    WriteOptions wo;
    wo.sync = op.sync;
    switch (op.kind) {
      case Op::kPut:
        s = db->Put(wo, op.mutations[0].key, op.mutations[0].value);
        break;
      case Op::kDelete:
        s = db->Delete(wo, op.mutations[0].key);
        break;
      case Op::kBatch: {
        WriteBatch batch;
        for (const Mutation& m : op.mutations) {
          if (m.is_delete) {
            batch.Delete(m.key);
          } else {
            batch.Put(m.key, m.value);
          }
        }
        s = db->Write(wo, batch);
        break;
      }
    }
    if (!s.ok()) Die("write", s);
    if (op.sync_after) {
      s = db->Sync();
      if (!s.ok()) Die("sync", s);
    }
    // Acknowledged: record it where the parent will find it even if we are
    // killed on the next instruction.
    unsigned char rec[8];
    for (int i = 0; i < 8; ++i) rec[i] = static_cast<unsigned char>(seq >> (8 * i));
    if (write(fd, rec, sizeof(rec)) != static_cast<ssize_t>(sizeof(rec))) {
      std::perror("killtest child: oracle write");
      _exit(2);
    }
  }
}

// Reads the oracle the last child wrote: the acknowledged seqs, which must
// be start, start+1, ... Returns the last one (start - 1 if none).
bool ReadOracle(const Flags& f, uint64_t start, uint64_t* last) {
  *last = start - 1;
  const int fd = open(OraclePath(f).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // A partial trailing record (killed inside write) is not an ack.
  for (size_t off = 0; off + 8 <= data.size(); off += 8) {
    uint64_t seq = 0;
    for (int i = 0; i < 8; ++i)
      seq |= uint64_t{static_cast<unsigned char>(data[off + i])} << (8 * i);
    if (seq != *last + 1) {
      std::fprintf(stderr, "killtest: oracle out of order: %" PRIu64 " after %" PRIu64 "\n", seq,
                   *last);
      return false;
    }
    *last = seq;
  }
  return true;
}

std::string Shorten(const std::string& v) {
  const size_t hash = v.find('#');
  return hash == std::string::npos ? v.substr(0, 40) : v.substr(0, hash);
}

// Describes how `got` differs from `want` (first few keys).
std::string Diff(const std::map<std::string, std::string>& got,
                 const std::map<std::string, std::string>& want) {
  std::string r;
  int shown = 0;
  auto note = [&](const std::string& k, const std::string* g, const std::string* w) {
    if (shown++ >= 8) return;
    r += "  " + k + ": got " + (g ? Shorten(*g) : "<absent>") + ", want " +
         (w ? Shorten(*w) : "<absent>") + "\n";
  };
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      note(k, nullptr, &v);
    } else if (it->second != v) {
      note(k, &it->second, &v);
    }
  }
  for (const auto& [k, v] : got) {
    if (!want.count(k)) note(k, &v, nullptr);
  }
  if (shown > 8) r += "  ... " + std::to_string(shown - 8) + " more\n";
  return r;
}

// Reads the whole database: a full scan, and a Get of every key of the key
// space that must agree with it.
Status ReadAll(DB* db, int keys, std::map<std::string, std::string>* out) {
  out->clear();
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    (*out)[std::string(it->key())] = std::string(it->value());
  }
  Status s = it->status();
  it.reset();
  if (!s.ok()) return s;
  for (int k = 0; k < keys; ++k) {
    const std::string key = KeyName(k);
    std::string v;
    s = db->Get(ReadOptions(), key, &v);
    auto found = out->find(key);
    if (s.IsNotFound()) {
      if (found != out->end()) return Status::Corruption("Get says NotFound but scan has", key);
    } else if (!s.ok()) {
      return s;
    } else if (found == out->end() || found->second != v) {
      return Status::Corruption("Get and scan disagree on", key);
    }
  }
  return Status::OK();
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs kills against one picker. Returns the number of failed kills.
int RunPicker(const Flags& f, const std::string& picker, const char* self, uint64_t* kills_done,
              uint64_t* ops_done) {
  Flags pf = f;
  pf.picker = picker;
  pf.dir = f.dir + "/" + picker;
  Options options;
  Status s = PickerOptions(picker, &options);
  if (!s.ok()) {
    std::fprintf(stderr, "killtest: %s\n", s.ToString().c_str());
    return 1;
  }
  mkdir(pf.dir.c_str(), 0755);
  DestroyDB(DbPath(pf), options).IgnoreError();  // a fresh database

  uint64_t picker_hash = 14695981039346656037ull;  // FNV-1a: the same everywhere
  for (char c : picker)
    picker_hash = (picker_hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  Rng rng(Mix(f.seed ^ picker_hash));
  std::map<std::string, std::string> state;  // after ops [1, next_seq)
  uint64_t next_seq = 1;
  int failures = 0;
  int kills = 0;
  uint64_t in_flight_landed = 0;
  const double start = Now();
  for (;; ++kills) {
    if (kills >= f.kills && (f.soak_seconds <= 0 || Now() - start >= f.soak_seconds)) break;
    const std::string seq_arg = std::to_string(next_seq);
    const std::string seed_arg = std::to_string(f.seed);
    const std::string keys_arg = std::to_string(f.keys);
    std::vector<const char*> argv = {self,          "--child",       "--dir",  pf.dir.c_str(),
                                     "--picker",    picker.c_str(),  "--seed", seed_arg.c_str(),
                                     "--start-seq", seq_arg.c_str(), "--keys", keys_arg.c_str()};
    if (f.lose_unsynced) argv.push_back("--lose-unsynced");
    argv.push_back(nullptr);
    // A child killed before it truncates the oracle must not leave the
    // previous child's records behind.
    unlink(OraclePath(pf).c_str());
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("killtest: fork");
      return failures + 1;
    }
    if (pid == 0) {
      execv("/proc/self/exe", const_cast<char* const*>(argv.data()));
      std::perror("killtest: exec");
      _exit(127);
    }
    // Mostly short runs (kills during open, recovery, the first flush),
    // some long ones (kills inside compactions of a bigger tree).
    uint64_t delay_us = rng.Uniform(static_cast<uint64_t>(f.max_delay_ms) * 1000 + 1);
    if (rng.Uniform(8) == 0) delay_us *= 4;
    usleep(static_cast<useconds_t>(delay_us));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (!(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)) {
      std::fprintf(stderr, "killtest[%s] kill %d: child ended on its own (status %d)\n",
                   picker.c_str(), kills, wstatus);
      return failures + 1;
    }

    uint64_t acked;
    if (!ReadOracle(pf, next_seq, &acked)) return failures + 1;
    for (uint64_t seq = next_seq; seq <= acked; ++seq) Apply(MakeOp(f.seed, seq, f.keys), &state);
    *ops_done += acked + 1 - next_seq;
    std::map<std::string, std::string> with_next = state;
    Apply(MakeOp(f.seed, acked + 1, f.keys), &with_next);

    std::unique_ptr<DB> db;
    s = DB::Open(options, DbPath(pf), &db);
    std::map<std::string, std::string> got;
    if (s.ok()) s = ReadAll(db.get(), f.keys, &got);
    if (!s.ok()) {
      std::fprintf(stderr, "killtest[%s] kill %d (acked %" PRIu64 "): reopen/read failed: %s\n",
                   picker.c_str(), kills, acked, s.ToString().c_str());
      return failures + 1;
    }
    if (got == state) {
      next_seq = acked + 1;
    } else if (got == with_next) {
      state = std::move(with_next);
      next_seq = acked + 2;
      ++in_flight_landed;
    } else {
      std::fprintf(stderr,
                   "killtest[%s] kill %d: recovered state is not the prefix of %" PRIu64
                   " (or %" PRIu64 ") acknowledged operations (seed %" PRIu64 "):\n%s",
                   picker.c_str(), kills, acked, acked + 1, f.seed, Diff(got, state).c_str());
      return failures + 1;
    }
    s = db->Close();
    if (!s.ok()) {
      std::fprintf(stderr, "killtest[%s]: close failed: %s\n", picker.c_str(),
                   s.ToString().c_str());
      return failures + 1;
    }
    ++*kills_done;
  }
  std::printf("killtest[%s]: %d kills, %" PRIu64 " ops acknowledged, in-flight op landed %" PRIu64
              " times, %zu live keys, %d failures\n",
              picker.c_str(), kills, next_seq - 1, in_flight_landed, state.size(), failures);
  return failures;
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--child") {
      f->child = true;
    } else if (a == "--lose-unsynced") {
      f->lose_unsynced = true;
    } else if (a == "--kills" && (v = value())) {
      f->kills = std::atoi(v);
    } else if (a == "--seed" && (v = value())) {
      f->seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--dir" && (v = value())) {
      f->dir = v;
    } else if (a == "--picker" && (v = value())) {
      f->picker = v;
    } else if (a == "--soak-seconds" && (v = value())) {
      f->soak_seconds = std::atof(v);
    } else if (a == "--max-delay-ms" && (v = value())) {
      f->max_delay_ms = std::atoi(v);
    } else if (a == "--keys" && (v = value())) {
      f->keys = std::atoi(v);
    } else if (a == "--start-seq" && (v = value())) {
      f->start_seq = std::strtoull(v, nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: firn-killtest [--kills N] [--seed S] [--dir D] "
                   "[--picker tiered|leveled|learned|all] [--soak-seconds T] "
                   "[--max-delay-ms M] [--keys K] [--lose-unsynced]\n");
      return false;
    }
  }
  if (f->keys < 1 || f->max_delay_ms < 1 || f->kills < 0) return false;
  return true;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) return 2;
  if (f.child) {
    if (f.dir.empty()) return 2;
    RunChild(f);
  }
  std::string tmp;
  if (f.dir.empty()) {
    char templ[] = "/tmp/firn-killtest-XXXXXX";
    if (mkdtemp(templ) == nullptr) {
      std::perror("killtest: mkdtemp");
      return 2;
    }
    tmp = f.dir = templ;
  } else {
    mkdir(f.dir.c_str(), 0755);
  }
  std::vector<std::string> pickers;
  if (f.picker == "all") {
    pickers = {"tiered", "leveled", "learned"};
  } else {
    pickers = {f.picker};
  }
  if (f.soak_seconds > 0) f.soak_seconds /= static_cast<double>(pickers.size());
  std::printf("killtest: seed %" PRIu64 ", dir %s\n", f.seed, f.dir.c_str());
  std::fflush(stdout);
  int failures = 0;
  uint64_t kills = 0, ops = 0;
  for (const std::string& p : pickers) {
    failures += RunPicker(f, p, argv[0], &kills, &ops);
    std::fflush(stdout);
  }
  std::printf("killtest: %" PRIu64 " kills, %" PRIu64 " acknowledged ops, %d failures\n", kills,
              ops, failures);
  // A failure leaves the directory for a look, unless it was the expected
  // one of --lose-unsynced.
  if (!tmp.empty() && (failures == 0 || f.lose_unsynced)) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    if (ec)
      std::fprintf(stderr, "killtest: could not remove %s: %s\n", tmp.c_str(),
                   ec.message().c_str());
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace firn

int main(int argc, char** argv) { return firn::Main(argc, argv); }
