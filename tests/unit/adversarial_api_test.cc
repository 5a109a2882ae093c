// Hostile inputs through the C++ and C APIs: keys and values exactly at
// their limits and one byte over, empty keys, NUL and 0xff bytes inside
// keys and values, batches far bigger than the memtable, NULL pointers the
// other C API tests do not cover, and calls after Close. Each must either
// work and read back exactly, or fail with a clear InvalidArgument that
// writes nothing; never crash. (c_api_test.cc covers the common NULL
// handles and buffers.)
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "firn/db.h"
#include "firn/firn.h"
#include "port/env.h"

using namespace firn;

namespace {

struct MemDB {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options;
  std::unique_ptr<DB> db;
  explicit MemDB(size_t max_key = 0, size_t max_value = 0) {
    options.env = env.get();
    options.compaction = CompactionStyle::kTiered;
    options.memtable_bytes = 64 << 10;
    options.sst_target_bytes = 64 << 10;
    if (max_key) options.max_key_bytes = max_key;
    if (max_value) options.max_value_bytes = max_value;
    Reopen();
  }
  void Reopen() {
    if (db) REQUIRE(db->Close().ok());
    db.reset();
    Status s = DB::Open(options, "/db", &db);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  std::string Get(std::string_view k) {
    std::string v;
    Status s = db->Get(ReadOptions(), k, &v);
    if (s.IsNotFound()) return "<absent>";
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return v;
  }
  std::map<std::string, std::string> Scan() {
    std::map<std::string, std::string> r;
    std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
    std::string prev;
    bool first = true;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string k(it->key());
      if (!first) CHECK(prev < k);
      first = false;
      prev = k;
      r[k] = std::string(it->value());
    }
    REQUIRE(it->status().ok());
    return r;
  }
};

bool Mentions(const Status& s, std::string_view what) {
  return s.message().find(what) != std::string_view::npos;
}

}  // namespace

TEST_CASE("KeysAndValuesAtTheLimitWorkAndOneByteOverIsInvalidArgument") {
  // The default limits (16 KiB keys, 8 MiB values) and small custom ones.
  for (auto [max_key, max_value] : {std::pair<size_t, size_t>{0, 0}, {1, 1}, {100, 1000}}) {
    MemDB t(max_key, max_value);
    const size_t mk = t.options.max_key_bytes, mv = t.options.max_value_bytes;
    CAPTURE(mk);
    CAPTURE(mv);
    const std::string key(mk, 'k'), value(mv, '\x01');
    REQUIRE(t.db->Put(WriteOptions(), key, value).ok());
    CHECK(t.Get(key) == value);

    Status s = t.db->Put(WriteOptions(), std::string(mk + 1, 'k'), "v");
    CHECK(s.IsInvalidArgument());
    CHECK_MESSAGE(Mentions(s, "key"), s.ToString());
    s = t.db->Put(WriteOptions(), "o", std::string(mv + 1, 'v'));
    CHECK(s.IsInvalidArgument());
    CHECK_MESSAGE(Mentions(s, "value"), s.ToString());
    s = t.db->Delete(WriteOptions(), std::string(mk + 1, 'k'));
    CHECK_MESSAGE(s.IsInvalidArgument(), s.ToString());
    std::string v;
    CHECK(t.Get(std::string(mk + 1, 'k')) == "<absent>");
    CHECK(t.Get("o") == "<absent>");

    // A batch with one entry over the limit writes nothing.
    WriteBatch b;
    b.Put("in-batch", "1");
    b.Put(key, "replaced");
    b.Put(std::string(mk + 1, 'x'), "2");
    CHECK(t.db->Write(WriteOptions(), b).IsInvalidArgument());
    CHECK(t.Get("in-batch") == "<absent>");
    CHECK(t.Get(key) == value);

    t.Reopen();
    CHECK(t.Get(key) == value);
    REQUIRE(t.db->Flush().ok());
    CHECK(t.Get(key) == value);
    REQUIRE(t.db->CompactAll().ok());
    CHECK(t.Get(key) == value);
    CHECK(t.Scan().size() == 1);
  }
}

TEST_CASE("MaximumValueThroughTheCApiAndOneByteOver") {
  char tmpl[] = "/tmp/firn-adversarial-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string path = std::string(tmpl) + "/db";
  firn_options* o = firn_options_new();
  REQUIRE(firn_options_set(o, "max_key_bytes", "1M") == FIRN_OK);
  REQUIRE(firn_options_set(o, "max_value_bytes", "4M") == FIRN_OK);
  firn_db* db = nullptr;
  REQUIRE(firn_open(path.c_str(), o, &db) == FIRN_OK);
  const std::string key(1 << 20, '\0');
  const std::string value(4 << 20, '\xff');
  CHECK(firn_put(db, key.data(), key.size(), value.data(), value.size()) == FIRN_OK);
  CHECK(firn_put(db, key.data(), key.size() + 0, value.data(), value.size()) == FIRN_OK);
  const std::string big_key(key.size() + 1, '\0');
  CHECK(firn_put(db, big_key.data(), big_key.size(), "v", 1) == FIRN_INVALID_ARGUMENT);
  CHECK(std::strstr(firn_last_error(), "key") != nullptr);
  const std::string big_value(value.size() + 1, 'v');
  CHECK(firn_put(db, "k", 1, big_value.data(), big_value.size()) == FIRN_INVALID_ARGUMENT);
  CHECK(std::strstr(firn_last_error(), "value") != nullptr);
  void* got = nullptr;
  size_t len = 0;
  CHECK(firn_get(db, "k", 1, &got, &len) == FIRN_NOT_FOUND);
  REQUIRE(firn_close(db) == FIRN_OK);
  REQUIRE(firn_open(path.c_str(), o, &db) == FIRN_OK);
  REQUIRE(firn_get(db, key.data(), key.size(), &got, &len) == FIRN_OK);
  CHECK(len == value.size());
  CHECK(std::memcmp(got, value.data(), len) == 0);
  firn_free(got);
  CHECK(firn_close(db) == FIRN_OK);
  firn_options_free(o);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}

TEST_CASE("EmptyKeysNulBytesAndHighBytesAreDistinctOrderedKeys") {
  MemDB t;
  using namespace std::string_literals;
  const std::map<std::string, std::string> want = {
      {""s, "empty key"s},
      {"\0"s, "one nul"s},
      {"\0\0"s, "two nuls"s},
      {"a"s, ""s},  // empty value
      {"a\0"s, "a then nul"s},
      {"a\0b"s, "nul\0inside\0value"s},
      {"ab"s, "\0"s},
      {"\xff"s, "high"s},
      {"\xff\xff\0"s, "\xff\0\xff"s},
  };
  for (const auto& [k, v] : want) REQUIRE(t.db->Put(WriteOptions(), k, v).ok());
  auto check = [&](const char* when) {
    INFO(when);
    for (const auto& [k, v] : want) CHECK(t.Get(k) == v);
    CHECK(t.Get("\0\0\0"s) == "<absent>");
    CHECK(t.Get("a\0c"s) == "<absent>");
    CHECK(t.Scan() == want);
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
    it->Seek("a\0"s);
    REQUIRE(it->Valid());
    CHECK(std::string(it->key()) == "a\0"s);
    it->Prev();
    REQUIRE(it->Valid());
    CHECK(std::string(it->key()) == "a");
    it->SeekToLast();
    REQUIRE(it->Valid());
    CHECK(std::string(it->key()) == "\xff\xff\0"s);
  };
  check("memtable");
  t.Reopen();
  check("after reopen (WAL)");
  REQUIRE(t.db->Flush().ok());
  check("after flush");
  REQUIRE(t.db->CompactAll().ok());
  check("after compaction");
  REQUIRE(t.db->Delete(WriteOptions(), "\0"s).ok());
  CHECK(t.Get("\0"s) == "<absent>");
  CHECK(t.Get(""s) == "empty key");
  CHECK(t.Get("\0\0"s) == "two nuls");
}

TEST_CASE("HugeBatchIsAppliedWholeAndSurvivesReopen") {
  MemDB t;
  WriteBatch b;
  std::map<std::string, std::string> want;
  // About 3 MiB: many times the 64 KiB memtable.
  for (int i = 0; i < 30000; ++i) {
    const std::string k = "batch" + std::to_string(i);
    const std::string v = std::string(90, static_cast<char>('a' + i % 26)) + std::to_string(i);
    b.Put(k, v);
    want[k] = v;
    if (i % 1000 == 999) {
      b.Delete("batch" + std::to_string(i - 500));
      want.erase("batch" + std::to_string(i - 500));
    }
  }
  Status s = t.db->Write(WriteOptions(), b);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(t.Scan() == want);
  t.Reopen();
  CHECK(t.Scan() == want);
  REQUIRE(t.db->CompactAll().ok());
  CHECK(t.Scan() == want);
  // An empty batch is fine.
  WriteBatch empty;
  CHECK(t.db->Write(WriteOptions(), empty).ok());
}

TEST_CASE("CApiNullPointersNotCoveredElsewhere") {
  firn_options* o = firn_options_new();
  CHECK(firn_options_set(nullptr, "sync", "true") == FIRN_INVALID_ARGUMENT);
  CHECK(firn_options_set(o, nullptr, "true") == FIRN_INVALID_ARGUMENT);
  CHECK(firn_options_set(o, "sync", nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_options_set(o, "", "") == FIRN_INVALID_ARGUMENT);
  CHECK(firn_maintain(nullptr, 1000) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_iter_value(nullptr, nullptr) == nullptr);
  firn_db* out = reinterpret_cast<firn_db*>(1);
  CHECK(firn_open("", o, &out) != FIRN_OK);
  CHECK(out == nullptr);
  firn_options_free(o);
  // A last error exists and is a string.
  CHECK(firn_last_error() != nullptr);
}

TEST_CASE("EveryCallAfterCloseIsInvalidArgument") {
  MemDB t;
  REQUIRE(t.db->Put(WriteOptions(), "k", "v").ok());
  REQUIRE(t.db->Close().ok());
  std::string v;
  WriteBatch b;
  b.Put("x", "y");
  CHECK(t.db->Put(WriteOptions(), "k", "v").IsInvalidArgument());
  CHECK(t.db->Delete(WriteOptions(), "k").IsInvalidArgument());
  CHECK(t.db->Write(WriteOptions(), b).IsInvalidArgument());
  CHECK(t.db->Get(ReadOptions(), "k", &v).IsInvalidArgument());
  CHECK(t.db->Sync().IsInvalidArgument());
  CHECK(t.db->Flush().IsInvalidArgument());
  CHECK(t.db->CompactAll().IsInvalidArgument());
  std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  REQUIRE(it != nullptr);
  it->SeekToFirst();
  CHECK(!it->Valid());
  CHECK(it->status().IsInvalidArgument());
  it.reset();
  CHECK(t.db->Close().ok());
  t.db.reset();
  REQUIRE(DB::Open(t.options, "/db", &t.db).ok());
  CHECK(t.Get("k") == "v");
}
