// firn-portable: writes a database with a fixed content, or checks that a
// database holds exactly that content. Run "write" on one architecture and
// "check" on another (CI: x86-64 <-> armhf, aarch64 under qemu-user) to
// show the on-disk format is independent of word size, endianness of the
// host's integers in memory and alignment (docs/edge.md).
//
//   firn-portable write DIR     DIR must not exist
//   firn-portable check DIR     exit 0 iff the content matches
//   firn-portable selftest DIR  write, then check
//
// The content covers every format: SST files at several levels (a full
// compaction, then newer runs with overwrites and deletions), a value
// larger than a block and a 64 KiB one, an empty key and value, binary
// keys, and writes that are only in the WAL.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "firn/db.h"

namespace {

constexpr int kKeys = 6000;

// Deterministic on every platform (no std::hash, no rand()).
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::string Key(int i) {
  // Big-endian index then binary bytes, so the byte order of keys matters.
  std::string k;
  for (int s = 24; s >= 0; s -= 8) k.push_back(static_cast<char>((i >> s) & 0xff));
  uint64_t h = Mix(static_cast<uint64_t>(i));
  for (int b = 0; b < static_cast<int>(h % 9); b++) k.push_back(static_cast<char>(Mix(h + b) & 0xff));
  return k;
}

std::string Value(int i, int generation) {
  uint64_t h = Mix(static_cast<uint64_t>(i) * 31 + static_cast<uint64_t>(generation));
  size_t len = h % 300;
  if (i == 17) len = 70000;  // larger than a block and a memtable entry
  std::string v;
  v.reserve(len);
  for (size_t j = 0; j < len; j++) v.push_back(static_cast<char>(Mix(h + j) & 0xff));
  return v;
}

firn::Options PortableOptions() {
  firn::Options o;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.block_bytes = 1024;
  o.compaction = firn::CompactionStyle::kTiered;
  o.max_runs_per_level = 8;  // keep several runs: nothing compacts them
  // No thread: Flush and CompactAll work on this thread, so the content is
  // the same on every run, and the check runs where qemu-user cannot start
  // threads.
  o.background = firn::BackgroundMode::kNone;
  return o;
}

// The expected content, built the same way `write` builds the database.
std::map<std::string, std::string> Expected() {
  std::map<std::string, std::string> m;
  for (int i = 0; i < kKeys; i++) m[Key(i)] = Value(i, 0);
  for (int i = 0; i < kKeys; i += 3) m[Key(i)] = Value(i, 1);
  for (int i = 0; i < kKeys; i += 5) m.erase(Key(i));
  m[""] = "";
  for (int i = kKeys; i < kKeys + 100; i++) m[Key(i)] = Value(i, 2);
  return m;
}

int Fail(const std::string& what, const firn::Status& s = firn::Status::OK()) {
  std::fprintf(stderr, "firn-portable: %s %s\n", what.c_str(), s.ok() ? "" : s.ToString().c_str());
  return 1;
}

int Write(const std::string& dir) {
  firn::Options o = PortableOptions();
  o.error_if_exists = true;
  std::unique_ptr<firn::DB> db;
  firn::Status s = firn::DB::Open(o, dir, &db);
  if (!s.ok()) return Fail("open", s);
  firn::WriteOptions w;
  for (int i = 0; i < kKeys && s.ok(); i++) s = db->Put(w, Key(i), Value(i, 0));
  if (s.ok()) s = db->CompactAll();  // one run at the last level
  for (int i = 0; i < kKeys && s.ok(); i += 3) s = db->Put(w, Key(i), Value(i, 1));
  for (int i = 0; i < kKeys && s.ok(); i += 5) s = db->Delete(w, Key(i));
  if (s.ok()) s = db->Put(w, "", "");
  if (s.ok()) s = db->Flush();  // newer runs over the compacted one
  // Only in the WAL.
  for (int i = kKeys; i < kKeys + 100 && s.ok(); i++) s = db->Put(w, Key(i), Value(i, 2));
  if (!s.ok()) return Fail("write", s);
  std::string levels;
  db->GetProperty("firn.levels", &levels);
  std::printf("firn-portable: wrote %s (%zu bytes per size_t)\n%s", dir.c_str(), sizeof(size_t),
              levels.c_str());
  s = db->Close();
  return s.ok() ? 0 : Fail("close", s);
}

int Check(const std::string& dir) {
  firn::Options o = PortableOptions();
  o.create_if_missing = false;
  std::unique_ptr<firn::DB> db;
  firn::Status s = firn::DB::Open(o, dir, &db);
  if (!s.ok()) return Fail("open", s);
  const std::map<std::string, std::string> expect = Expected();
  for (const auto& [k, v] : expect) {
    std::string got;
    s = db->Get(firn::ReadOptions(), k, &got);
    if (!s.ok()) return Fail("get of an expected key", s);
    if (got != v) return Fail("wrong value for a key");
  }
  for (int i = 0; i < kKeys; i += 5) {
    std::string got;
    if (!db->Get(firn::ReadOptions(), Key(i), &got).IsNotFound()) return Fail("deleted key found");
  }
  std::unique_ptr<firn::Iterator> it(db->NewIterator(firn::ReadOptions()));
  auto e = expect.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++e) {
    if (e == expect.end() || it->key() != e->first || it->value() != e->second) {
      return Fail("iteration differs from the expected content");
    }
  }
  if (!it->status().ok()) return Fail("iterator", it->status());
  if (e != expect.end()) return Fail("iteration ended early");
  it.reset();
  s = db->Close();
  if (!s.ok()) return Fail("close", s);
  std::printf("firn-portable: %s holds the expected %zu keys (%zu bytes per size_t)\n",
              dir.c_str(), expect.size(), sizeof(size_t));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: firn-portable write|check|selftest DIR\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  if (mode == "write") return Write(dir);
  if (mode == "check") return Check(dir);
  if (mode == "selftest") {
    firn::DestroyDB(dir, firn::Options()).IgnoreError();
    int r = Write(dir);
    if (r == 0) r = Check(dir);
    firn::DestroyDB(dir, firn::Options()).IgnoreError();
    return r;
  }
  std::fprintf(stderr, "firn-portable: unknown mode '%s'\n", mode.c_str());
  return 2;
}
