// Corruption sweep (docs/durability.md, promise 4): for every kind of file
// the engine writes (WAL, SST, MANIFEST, CURRENT), flip bytes at many
// offsets (every byte of the first and last 64: headers, footers, magic
// numbers, trailing checksums; a sample of the middle; fewer under
// sanitizers) and truncate it at many lengths. After each single damage, on
// a fresh copy of the database:
//  - DB::Open succeeds or fails as the table in docs/durability.md says:
//    Corruption or InvalidArgument naming the file (and the offset for a
//    log); never for damage to the newest WAL's records (a torn tail);
//  - every Get and a full scan return the right value or a Corruption
//    naming the file and an offset (InvalidArgument for a damaged format
//    version); never a wrong value or an entry never written. Entries may
//    be missing only where a documented torn tail drops them: the end of
//    the newest WAL (what remains is a prefix of its writes), or the last
//    manifest edit when its damage cannot be told from a torn write;
//  - VerifyDB reports damage that reading saw in an SST, and RepairDB
//    (every few damages) leaves a database that opens and holds only right
//    values, every SST entry when the damage was not in an SST.
// The policy model file (Options::policy_model) gets the same sweep through
// DB::Open. FIRN_SWEEP_SAMPLES (default 150) sets how many offsets of the
// middle of each file are damaged; a large number covers every byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "db/filename.h"
#include "firn/db.h"
#include "firn/repair.h"
#include "policy/model.h"
#include "port/env.h"
#include "wal/log_reader.h"

using namespace firn;

namespace {

constexpr int kTableKeys = 1500;  // flushed to SST files
constexpr int kLogKeys = 200;     // left in the WAL, in this order
const std::string kDir = "/db";

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// Each key is written once, so any value other than this one is wrong.
std::string Value(int i) {
  std::string v = "value-" + std::to_string(i) + "-";
  uint64_t x = static_cast<uint64_t>(i) * 2654435761u + 17;
  const int len = 20 + i % 90;
  for (int j = 0; j < len; ++j) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    v.push_back(static_cast<char>('a' + (x >> 59) % 16));
  }
  return v;
}

Options BaseOptions(Env* env) {
  Options o;
  o.env = env;
  o.compaction = CompactionStyle::kTiered;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.block_bytes = 1024;
  o.compression = CompressionType::kLZ4;
  o.block_cache_bytes = 0;  // every read goes to the file
  return o;
}

using Files = std::map<std::string, std::string>;  // name -> contents

// The pristine database: keys [0, kTableKeys) in SST files, keys
// [kTableKeys, kTableKeys + kLogKeys) only in the newest WAL.
Files BuildPristine() {
  std::unique_ptr<Env> env = NewMemEnv();
  Options o = BaseOptions(env.get());
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, kDir, &db).ok());
  for (int i = 0; i < kTableKeys; ++i) REQUIRE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
  REQUIRE(db->CompactAll().ok());
  for (int i = kTableKeys; i < kTableKeys + kLogKeys; ++i) {
    REQUIRE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
  }
  // Simulate a kill rather than a close, so the WAL is not flushed: copy
  // the files while the database is open (the WAL has been handed to the
  // Env; nothing else is being written).
  Files files;
  std::vector<std::string> children;
  REQUIRE(env->GetChildren(kDir, &children).ok());
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type == FileType::kLock) continue;
    REQUIRE(ReadFileToString(env.get(), kDir + "/" + name, &files[name]).ok());
  }
  db.reset();
  return files;
}

struct Target {
  std::string name;
  FileType type;
  // The newest WAL holding a record (a newer one holding only its header
  // may have been prepared ahead): damage there is a torn tail.
  bool newest_log = false;
  // Manifest: where its last record starts. Damage from there on cannot
  // be told from a torn write of the last edit, which docs/durability.md
  // says is ignored.
  size_t last_record_start = 0;
};

// Size of a WAL or manifest holding only its header record.
constexpr size_t kLogHeaderOnlyBytes = 19;

size_t LastRecordStart(const std::string& fname, const std::string& data) {
  std::unique_ptr<Env> env = NewMemEnv();
  REQUIRE(WriteStringToFile(env.get(), data, "/m", false).ok());
  std::unique_ptr<SequentialFile> file;
  REQUIRE(env->NewSequentialFile("/m", &file).ok());
  uint64_t number;
  FileType type;
  REQUIRE(ParseFileName(fname, &number, &type));
  log::Reader reader(file.get(), fname, number, nullptr);
  bool empty;
  REQUIRE(reader.ReadHeader(&empty).ok());
  std::string_view record;
  std::string scratch;
  uint64_t start = reader.LastRecordEnd(), last_start = start;
  while (reader.ReadRecord(&record, &scratch)) {
    last_start = start;
    start = reader.LastRecordEnd();
  }
  REQUIRE(start == data.size());
  return last_start;
}

std::vector<Target> Targets(const Files& files) {
  std::vector<Target> r;
  uint64_t newest_log = 0;
  for (const auto& [name, data] : files) {
    uint64_t number;
    FileType type;
    REQUIRE(ParseFileName(name, &number, &type));
    if (type == FileType::kLog && data.size() > kLogHeaderOnlyBytes) {
      newest_log = std::max(newest_log, number);
    }
  }
  for (const auto& [name, data] : files) {
    uint64_t number;
    FileType type;
    REQUIRE(ParseFileName(name, &number, &type));
    if (type == FileType::kOptions || type == FileType::kTemp || type == FileType::kTrace) continue;
    if (data.empty()) continue;
    r.push_back({name, type, type == FileType::kLog && number == newest_log,
                 type == FileType::kManifest ? LastRecordStart(name, data) : 0});
  }
  return r;
}

// Sanitizer builds run a tenth of the sweep, so the suite stays quick.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kEdgeBytes = 4;
constexpr size_t kDefaultSamples = 12;
constexpr int kGetStride = 4;  // Get every 4th key (the scan reads all)
constexpr bool kFewTruncations = true;
#else
constexpr size_t kEdgeBytes = 64;
constexpr size_t kDefaultSamples = 150;
constexpr int kGetStride = 1;
constexpr bool kFewTruncations = false;
#endif

// Offsets to damage in a file of `size` bytes: every one of the first and
// last kEdgeBytes, and `samples` spread through the middle.
std::vector<size_t> Offsets(size_t size, size_t samples) {
  std::vector<size_t> r;
  for (size_t i = 0; i < size; ++i) {
    if (i < kEdgeBytes || i + kEdgeBytes >= size) r.push_back(i);
  }
  if (size > 2 * kEdgeBytes) {
    const size_t middle = size - 2 * kEdgeBytes;
    const size_t n = std::min(middle, samples);
    for (size_t j = 0; j < n; ++j) {
      r.push_back(kEdgeBytes + (middle * j) / n + (n < middle ? (j * 7) % 5 : 0));
    }
  }
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  while (!r.empty() && r.back() >= size) r.pop_back();
  return r;
}

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

struct Tally {
  int flips = 0;
  int truncations = 0;
  int open_failed = 0;
  int read_errors = 0;
  int repairs = 0;
  int torn_manifest = 0;
  int torn_manifest_lost = 0;  // opened, but entries were missing
};

// Builds a message with <<.
class Str {
 public:
  template <typename T>
  Str& operator<<(const T& v) {
    out_ << v;
    return *this;
  }
  operator std::string() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// A read error must be a Corruption naming a file and an offset, or an
// InvalidArgument naming the file and its format version (a damaged
// version field reads as a newer format: docs/durability.md). After a
// torn manifest tail, any error naming a file (a table the older state
// needs may be gone). Returns what is wrong with it ("" if nothing).
std::string ReadErrorProblem(const Status& s, bool torn_manifest) {
  const std::string_view m = s.message();
  const bool names_file = Contains(m, ".sst") || Contains(m, ".log");
  if (torn_manifest && names_file) return "";
  if (s.IsCorruption() && names_file && Contains(m, "offset")) return "";
  if (s.IsInvalidArgument() && names_file && Contains(m, "version")) return "";
  return "not a Corruption naming file and offset: " + s.ToString();
}

// Opens the damaged copy in `env` and checks everything. Returns true if
// any read or the open reported damage.
bool CheckDamaged(Env* env, const Target& target, size_t damage_at, bool truncated,
                  const std::string& what, Tally* tally) {
  // A damaged WAL header record is refused at open (Corruption with file
  // and offset), also in the newest WAL.
  const bool log_header = target.type == FileType::kLog && damage_at < kLogHeaderOnlyBytes;
  // Damage in the manifest's last record reads as a torn write of the last
  // edit, which is ignored (docs/durability.md): the state is then the one
  // before that edit, whose files may be gone. Reads must still never
  // return a wrong value, and errors must name the file.
  // A manifest cut short anywhere looks the same: its end is a torn write.
  const bool torn_manifest =
      target.type == FileType::kManifest && (truncated || damage_at >= target.last_record_start);
  if (torn_manifest) ++tally->torn_manifest;
  // One failure line per damaged copy (the first few problems), not one
  // per key.
  std::vector<std::string> problems;
  auto problem = [&](const std::string& p) { problems.push_back(p); };
  struct Report {
    const std::string& what;
    std::vector<std::string>& problems;
    ~Report() {
      if (problems.empty()) return;
      std::string all;
      for (size_t i = 0; i < problems.size() && i < 3; ++i) all += "\n  " + problems[i];
      if (problems.size() > 3) all += "\n  ... " + std::to_string(problems.size() - 3) + " more";
      FAIL_CHECK(what << ":" << all);
    }
  } report{what, problems};
  Options o = BaseOptions(env);
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, kDir, &db);
  if (!s.ok()) {
    ++tally->open_failed;
    const std::string_view m = s.message();
    // docs/durability.md: damage to the newest WAL is a torn tail, and an
    // SST block's damage is only seen when the block is read.
    if (target.newest_log && !log_header) {
      problem(Str() << "open failed on newest-WAL damage: " << s.ToString());
    }
    if (!s.IsCorruption() && !s.IsInvalidArgument()) problem(Str() << "open: " << s.ToString());
    if (target.type == FileType::kCurrent) {
      if (!Contains(m, "CURRENT")) problem(Str() << "does not name CURRENT: " << s.ToString());
    } else {
      if (!Contains(m, target.name)) problem(Str() << "does not name the file: " << s.ToString());
    }
    if (target.type == FileType::kLog && !Contains(m, "offset")) {
      problem(Str() << "no offset: " << s.ToString());
    }
    return true;
  }
  bool damaged = false;
  bool lost_after_torn_manifest = false;
  // Keys in the WAL that went missing: allowed only as a suffix of the
  // newest WAL's writes.
  int first_missing_log_key = kTableKeys + kLogKeys;
  for (int i = 0; i < kTableKeys + kLogKeys; i += kGetStride) {
    std::string v;
    s = db->Get(ReadOptions(), Key(i), &v);
    if (s.ok()) {
      if (!(v == Value(i))) problem(Str() << "wrong value for " << Key(i));
      if (i >= first_missing_log_key && !torn_manifest) {
        problem(Str() << "hole: " << Key(i) << " present after missing "
                      << Key(first_missing_log_key));
      }
    } else if (s.IsNotFound()) {
      if (torn_manifest) lost_after_torn_manifest = true;
      if (!torn_manifest && (i < kTableKeys || !target.newest_log)) {
        problem(Str() << "lost " << Key(i) << " (" << s.ToString() << ")");
      }
      first_missing_log_key = std::min(first_missing_log_key, i);
    } else {
      damaged = true;
      ++tally->read_errors;
      if (std::string p = ReadErrorProblem(s, torn_manifest); !p.empty()) {
        problem("Get " + Key(i) + ": " + p);
      }
    }
  }
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  int expect = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string k(it->key());
    int i = -1;
    if (k.size() == 9 && k.starts_with("key")) i = std::atoi(k.c_str() + 3);
    if (i < 0 || i >= kTableKeys + kLogKeys || Key(i) != k) {
      problem(Str() << "scan returned a key never written: " << k);
      break;
    }
    if (!(i >= expect)) problem(Str() << "scan out of order at " << k);
    if (!(std::string(it->value()) == Value(i))) problem(Str() << "scan: wrong value for " << k);
    if (i >= first_missing_log_key && !torn_manifest) problem(Str() << "scan: hole before " << k);
    expect = i + 1;
  }
  if (!it->status().ok()) {
    damaged = true;
    ++tally->read_errors;
    if (std::string p = ReadErrorProblem(it->status(), torn_manifest); !p.empty()) {
      problem("scan: " + p);
    }
  } else if (!torn_manifest) {
    // A clean scan saw every key (up to the allowed WAL suffix).
    // (Exactly there when every key was looked up.)
    if (expect > first_missing_log_key || expect + kGetStride <= first_missing_log_key) {
      problem(Str() << "scan ended at " << expect);
    }
  }
  it.reset();
  db.reset();
  if (lost_after_torn_manifest) {
    // A torn manifest tail may only drop an edit that never took effect;
    // an open that loses entries means a lost edit went unnoticed (open
    // must fail: the oldest log the older state names is gone).
    ++tally->torn_manifest_lost;
    FAIL_CHECK(what << ": opened the state before the last edit; entries are missing");
  }
  return damaged;
}

void RunDamage(const Files& pristine, const Target& target, const std::string& data,
               size_t damage_at, bool truncated, const std::string& what, bool repair,
               Tally* tally) {
  std::unique_ptr<Env> env = NewMemEnv();
  REQUIRE(env->CreateDir(kDir).ok());
  for (const auto& [name, contents] : pristine) {
    const std::string& bytes = name == target.name ? data : contents;
    REQUIRE(WriteStringToFile(env.get(), bytes, kDir + "/" + name, false).ok());
  }
  const bool damaged = CheckDamaged(env.get(), target, damage_at, truncated, what, tally);

  INFO(what);
  Options o = BaseOptions(env.get());
  VerifyReport vr;
  Status vs = VerifyDB(kDir, o, &vr);
  if (damaged && target.type == FileType::kTable) {
    CHECK_MESSAGE((vs.IsCorruption() || vs.IsInvalidArgument()),
                  "VerifyDB missed damage: " << vs.ToString());
  }
  if (!vs.ok()) {
    CHECK_MESSAGE((vs.IsCorruption() || vs.IsInvalidArgument()), vs.ToString());
  }
  if (!repair) return;
  ++tally->repairs;
  RepairReport rr;
  Status rs = RepairDB(kDir, o, &rr);
  if (!rs.ok()) {
    // Only a damaged version field may stop repair (a "newer" format).
    CHECK_MESSAGE(rs.IsInvalidArgument(), rs.ToString());
    return;
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, kDir, &db);
  REQUIRE_MESSAGE(s.ok(), "open after repair: " << s.ToString());
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    const std::string k(it->key());
    const int i = k.size() == 9 ? std::atoi(k.c_str() + 3) : -1;
    REQUIRE_MESSAGE((i >= 0 && i < kTableKeys + kLogKeys && Key(i) == k),
                    "after repair: key never written: " << k);
    CHECK_MESSAGE(std::string(it->value()) == Value(i), "after repair: wrong value for " << k);
  }
  CHECK_MESSAGE(it->status().ok(), "after repair: " << it->status().ToString());
  // Repair keeps every SST entry that was not in damaged data.
  if (target.type != FileType::kTable) {
    std::string notes;
    for (const std::string& note : rr.notes) notes += "\n  " + note;
    CHECK_MESSAGE(n >= kTableKeys, "after repair: " << n << " keys" << notes);
  }
}

size_t Samples() {
  const char* s = std::getenv("FIRN_SWEEP_SAMPLES");
  const long v = s ? std::atol(s) : 0;
  return v > 0 ? static_cast<size_t>(v) : kDefaultSamples;
}

}  // namespace

TEST_CASE("EveryFlippedByteOrTruncationIsDetectedOrHarmless") {
  const Files pristine = BuildPristine();
  const std::vector<Target> targets = Targets(pristine);
  int kinds[8] = {};
  for (const Target& t : targets) ++kinds[static_cast<int>(t.type)];
  REQUIRE(kinds[static_cast<int>(FileType::kTable)] >= 2);
  REQUIRE(kinds[static_cast<int>(FileType::kLog)] >= 1);
  REQUIRE(kinds[static_cast<int>(FileType::kManifest)] == 1);
  REQUIRE(kinds[static_cast<int>(FileType::kCurrent)] == 1);

  Tally tally;
  const size_t samples = Samples();
  int trial = 0;
  for (const Target& t : targets) {
    const std::string& original = pristine.at(t.name);
    for (size_t off : Offsets(original.size(), samples)) {
      std::string data = original;
      // Alternate single-bit flips and whole-byte damage.
      const unsigned char mask =
          (off % 3 == 0) ? 0xff : static_cast<unsigned char>(1u << (off % 8));
      data[off] = static_cast<char>(static_cast<unsigned char>(data[off]) ^ mask);
      ++tally.flips;
      RunDamage(pristine, t, data, off, false,
                t.name + ": flipped byte at offset " + std::to_string(off) + " mask " +
                    std::to_string(mask),
                ++trial % 7 == 0, &tally);
    }
    std::vector<size_t> lengths = {0, 1, original.size() / 3, original.size() / 2,
                                   original.size() - 1};
    if (!kFewTruncations) {
      for (size_t i = 1; i <= 8; ++i) lengths.push_back(original.size() * i / 9 + 3);
    }
    for (size_t len : lengths) {
      if (len >= original.size()) continue;
      ++tally.truncations;
      RunDamage(pristine, t, original.substr(0, len), len, true,
                t.name + ": truncated to " + std::to_string(len), ++trial % 3 == 0, &tally);
    }
  }
  MESSAGE("corruption sweep: " << tally.flips << " byte flips and " << tally.truncations
                               << " truncations over " << targets.size() << " files; "
                               << tally.open_failed << " failed opens, " << tally.torn_manifest
                               << " torn manifest tails (" << tally.torn_manifest_lost
                               << " of them lost entries), " << tally.read_errors
                               << " read errors, " << tally.repairs << " repairs");
  std::printf("corruption sweep: %d flips, %d truncations, %d repairs\n", tally.flips,
              tally.truncations, tally.repairs);
  CHECK(tally.flips >= static_cast<int>(targets.size() * 2 * kEdgeBytes));
}

TEST_CASE("DamagedPolicyModelFileFailsOpenNamingTheFile") {
  std::shared_ptr<const PolicyModel> model;
  REQUIRE(DefaultPolicyModel(&model).ok());
  const std::string original = EncodePolicyModel(*model);
  const std::string path = "/model.frnp";
  int flips = 0, rejected = 0;
  auto attempt = [&](const std::string& bytes, const std::string& what) {
    INFO(what);
    std::unique_ptr<Env> env = NewMemEnv();
    REQUIRE(WriteStringToFile(env.get(), bytes, path, false).ok());
    Options o = BaseOptions(env.get());
    o.compaction = CompactionStyle::kLearned;
    o.policy_model = path;
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, kDir, &db);
    if (s.ok()) {
      // Accepted: the bytes must still be a valid model (for example a flip
      // of a byte the checksum does not cover is impossible: all are).
      PolicyModel decoded;
      CHECK_MESSAGE(DecodePolicyModel(bytes, path, &decoded).ok(), "open accepted a bad model");
      REQUIRE(db->Put(WriteOptions(), "k", "v").ok());
      return;
    }
    ++rejected;
    CHECK_MESSAGE((s.IsCorruption() || s.IsInvalidArgument()), s.ToString());
    CHECK_MESSAGE(Contains(s.message(), path), s.ToString());
  };
  for (size_t off : Offsets(original.size(), kDefaultSamples)) {
    std::string data = original;
    data[off] = static_cast<char>(data[off] ^ (1 << (off % 8)));
    ++flips;
    attempt(data, "model: flipped offset " + std::to_string(off));
  }
  for (size_t len = 0; len < original.size(); len += std::max<size_t>(1, original.size() / 40)) {
    attempt(original.substr(0, len), "model: truncated to " + std::to_string(len));
  }
  MESSAGE("policy model: " << flips << " flips, " << rejected << " rejected opens");
  std::printf("policy model sweep: %d flips\n", flips);
  CHECK(rejected >= flips);
}
