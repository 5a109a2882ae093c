// Tests of the C API (firn/firn.h) over a real directory: options by name,
// reads and writes, batches, iterators, properties, and the promise that
// NULL handles and NULL buffers with a length never crash.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "firn/firn.h"

namespace {

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/firn-c-api-test-XXXXXX";
    char* d = mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    path = std::string(d) + "/db";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
  }
};

bool ErrorMentions(const char* what) {
  return std::strstr(firn_last_error(), what) != nullptr;
}

// Options for a small database with the tiered picker (so compaction
// happens at test sizes).
firn_options* SmallOptions() {
  firn_options* o = firn_options_new();
  REQUIRE(o != nullptr);
  REQUIRE(firn_options_set(o, "memtable_bytes", "64K") == FIRN_OK);
  REQUIRE(firn_options_set(o, "compaction", "tiered") == FIRN_OK);
  return o;
}

struct OpenDb {
  TempDir dir;
  firn_db* db = nullptr;
  explicit OpenDb(firn_options* o = nullptr) {
    firn_options* opts = o != nullptr ? o : SmallOptions();
    firn_status s = firn_open(dir.path.c_str(), opts, &db);
    if (o == nullptr) firn_options_free(opts);
    REQUIRE_MESSAGE(s == FIRN_OK, firn_last_error());
    REQUIRE(db != nullptr);
  }
  ~OpenDb() {
    if (db != nullptr) CHECK(firn_close(db) == FIRN_OK);
  }
  void Reopen() {
    REQUIRE(firn_close(db) == FIRN_OK);
    db = nullptr;
    firn_options* o = SmallOptions();
    firn_status s = firn_open(dir.path.c_str(), o, &db);
    firn_options_free(o);
    REQUIRE_MESSAGE(s == FIRN_OK, firn_last_error());
  }
  firn_status Put(const std::string& k, const std::string& v) {
    return firn_put(db, k.data(), k.size(), v.data(), v.size());
  }
  // The value, or "NOT_FOUND".
  std::string Get(const std::string& k) {
    void* val = reinterpret_cast<void*>(1);
    size_t len = 12345;
    firn_status s = firn_get(db, k.data(), k.size(), &val, &len);
    if (s == FIRN_NOT_FOUND) {
      CHECK(val == nullptr);
      CHECK(len == 0);
      return "NOT_FOUND";
    }
    REQUIRE_MESSAGE(s == FIRN_OK, firn_last_error());
    REQUIRE(val != nullptr);
    std::string r(static_cast<const char*>(val), len);
    firn_free(val);
    return r;
  }
};

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

uint64_t JsonField(const std::string& json, const std::string& name) {
  std::string pat = "\"" + name + "\":";
  size_t p = json.find(pat);
  REQUIRE_MESSAGE(p != std::string::npos, name);
  const char* start = json.c_str() + p + pat.size();
  char* end = nullptr;
  unsigned long long v = std::strtoull(start, &end, 10);
  REQUIRE_MESSAGE(end != start, name);  // an integer follows
  return v;
}

std::string Property(firn_db* db, const char* name) {
  char* p = firn_property(db, name);
  REQUIRE_MESSAGE(p != nullptr, name);
  std::string r(p);
  firn_free(p);
  return r;
}

std::string IterKey(firn_iter* it) {
  size_t len = 0;
  const void* k = firn_iter_key(it, &len);
  REQUIRE(k != nullptr);
  return std::string(static_cast<const char*>(k), len);
}

std::string IterValue(firn_iter* it) {
  size_t len = 0;
  const void* v = firn_iter_value(it, &len);
  REQUIRE(v != nullptr);
  return std::string(static_cast<const char*>(v), len);
}

}  // namespace

TEST_CASE("OptionsSetAcceptsEveryDocumentedName") {
  firn_options* o = firn_options_new();
  struct Pair {
    const char* name;
    const char* value;
  };
  for (Pair p : {Pair{"create_if_missing", "true"}, Pair{"create_if_missing", "0"},
                 Pair{"error_if_exists", "false"}, Pair{"error_if_exists", "yes"},
                 Pair{"sync", "off"}, Pair{"sync", "ON"}, Pair{"memtable_bytes", "65536"},
                 Pair{"memtable_bytes", "4M"}, Pair{"compaction", "learned"},
                 Pair{"compaction", "tiered"}, Pair{"compaction", "leveled"},
                 Pair{"compaction", "Leveled"}, Pair{"compression", "lz4"},
                 Pair{"compression", "none"}, Pair{"max_key_bytes", "1K"},
                 Pair{"max_value_bytes", "1048576"}, Pair{"num_levels", "5"},
                 Pair{"max_runs_per_level", "3"}}) {
    CAPTURE(p.name);
    CAPTURE(p.value);
    CHECK_MESSAGE(firn_options_set(o, p.name, p.value) == FIRN_OK, firn_last_error());
  }
  firn_options_free(o);
}

TEST_CASE("OptionsSetRejectsBadNamesAndValuesNamingTheOption") {
  firn_options* o = firn_options_new();
  struct Pair {
    const char* name;
    const char* value;
  };
  for (Pair p : {Pair{"no_such_option", "1"}, Pair{"Memtable_Bytes_X", "1"},
                 Pair{"", "1"}, Pair{"memtable_bytes", "abc"}, Pair{"memtable_bytes", ""},
                 Pair{"memtable_bytes", "12Q"}, Pair{"max_key_bytes", "-5"},
                 Pair{"max_value_bytes", "lots"}, Pair{"compaction", "fancy"},
                 Pair{"compaction", ""}, Pair{"compression", "zstd"},
                 Pair{"create_if_missing", "maybe"}, Pair{"error_if_exists", "2"},
                 Pair{"sync", "sometimes"}}) {
    CAPTURE(p.name);
    CAPTURE(p.value);
    CHECK(firn_options_set(o, p.name, p.value) == FIRN_INVALID_ARGUMENT);
    CHECK_MESSAGE(ErrorMentions(p.name), firn_last_error());
  }
  CHECK(firn_options_set(nullptr, "sync", "true") == FIRN_INVALID_ARGUMENT);
  CHECK(firn_options_set(o, nullptr, "true") == FIRN_INVALID_ARGUMENT);
  CHECK(firn_options_set(o, "sync", nullptr) == FIRN_INVALID_ARGUMENT);
  // A good call afterwards clears the error.
  CHECK(firn_options_set(o, "sync", "true") == FIRN_OK);
  CHECK(std::string(firn_last_error()).empty());
  firn_options_free(o);
}

TEST_CASE("RejectedOptionLeavesTheOptionsUnchanged") {
  // max_key_bytes is 4; a rejected attempt to raise it must not stick.
  TempDir dir;
  firn_options* o = SmallOptions();
  REQUIRE(firn_options_set(o, "max_key_bytes", "4") == FIRN_OK);
  CHECK(firn_options_set(o, "max_key_bytes", "8x") == FIRN_INVALID_ARGUMENT);
  firn_db* db = nullptr;
  REQUIRE(firn_open(dir.path.c_str(), o, &db) == FIRN_OK);
  CHECK(firn_put(db, "12345", 5, "v", 1) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_put(db, "1234", 4, "v", 1) == FIRN_OK);
  CHECK(firn_close(db) == FIRN_OK);
  firn_options_free(o);
}

TEST_CASE("OutOfRangeOptionFailsOpenNamingIt") {
  TempDir dir;
  firn_options* o = firn_options_new();
  REQUIRE(firn_options_set(o, "memtable_bytes", "1") == FIRN_OK);  // parsed, not checked
  firn_db* db = reinterpret_cast<firn_db*>(1);
  CHECK(firn_open(dir.path.c_str(), o, &db) == FIRN_INVALID_ARGUMENT);
  CHECK(db == nullptr);
  CHECK_MESSAGE(ErrorMentions("memtable_bytes"), firn_last_error());
  firn_options_free(o);
}

TEST_CASE("PutGetDeleteSyncCloseReopen") {
  OpenDb t;
  CHECK(t.Put("a", "1") == FIRN_OK);
  CHECK(t.Put("b", "2") == FIRN_OK);
  CHECK(t.Put("a", "3") == FIRN_OK);
  CHECK(t.Get("a") == "3");
  CHECK(t.Get("b") == "2");
  CHECK(firn_delete(t.db, "b", 1) == FIRN_OK);
  CHECK(t.Get("b") == "NOT_FOUND");
  CHECK(firn_delete(t.db, "never", 5) == FIRN_OK);  // absent: not an error
  std::string bin("k\0\xff", 3);
  CHECK(t.Put(bin, std::string("\0v\0", 3)) == FIRN_OK);
  CHECK(firn_sync(t.db) == FIRN_OK);
  t.Reopen();
  CHECK(t.Get("a") == "3");
  CHECK(t.Get("b") == "NOT_FOUND");
  CHECK(t.Get(bin) == std::string("\0v\0", 3));
  CHECK(firn_flush(t.db) == FIRN_OK);
  t.Reopen();
  CHECK(t.Get("a") == "3");
}

TEST_CASE("GetOfAMissingKeyIsNotFound") {
  OpenDb t;
  void* val = reinterpret_cast<void*>(1);
  size_t len = 7;
  CHECK(firn_get(t.db, "missing", 7, &val, &len) == FIRN_NOT_FOUND);
  CHECK(val == nullptr);
  CHECK(len == 0);
  CHECK(std::strlen(firn_last_error()) > 0);
}

TEST_CASE("NullKeyWithLengthZeroIsTheEmptyKey") {
  OpenDb t;
  CHECK(firn_put(t.db, nullptr, 0, "empty", 5) == FIRN_OK);
  CHECK(t.Get("") == "empty");
  void* val = nullptr;
  size_t len = 0;
  REQUIRE(firn_get(t.db, nullptr, 0, &val, &len) == FIRN_OK);
  CHECK(std::string(static_cast<char*>(val), len) == "empty");
  firn_free(val);
  // A NULL value with length 0 is the empty value.
  CHECK(firn_put(t.db, "k", 1, nullptr, 0) == FIRN_OK);
  CHECK(t.Get("k").empty());
  firn_iter* it = nullptr;
  REQUIRE(firn_iter_new(t.db, &it) == FIRN_OK);
  firn_iter_seek(it, nullptr, 0);
  REQUIRE(firn_iter_valid(it));
  size_t klen = 99;
  firn_iter_key(it, &klen);
  CHECK(klen == 0);
  CHECK(IterValue(it) == "empty");
  firn_iter_free(it);
  firn_batch* b = firn_batch_new();
  firn_batch_delete(b, nullptr, 0);
  CHECK(firn_write(t.db, b) == FIRN_OK);
  firn_batch_free(b);
  CHECK(t.Get("") == "NOT_FOUND");
  CHECK(firn_put(t.db, nullptr, 0, "again", 5) == FIRN_OK);
  CHECK(firn_delete(t.db, nullptr, 0) == FIRN_OK);
  CHECK(t.Get("") == "NOT_FOUND");
}

TEST_CASE("BatchAppliesPutsAndDeletesAtomically") {
  OpenDb t;
  REQUIRE(t.Put("gone", "x") == FIRN_OK);
  firn_batch* b = firn_batch_new();
  firn_batch_put(b, "x", 1, "1", 1);
  firn_batch_put(b, "y", 1, "2", 1);
  firn_batch_delete(b, "x", 1);
  firn_batch_delete(b, "gone", 4);
  firn_batch_put(b, "z", 1, "3", 1);
  REQUIRE(firn_write(t.db, b) == FIRN_OK);
  CHECK(t.Get("x") == "NOT_FOUND");
  CHECK(t.Get("y") == "2");
  CHECK(t.Get("z") == "3");
  CHECK(t.Get("gone") == "NOT_FOUND");
  // Cleared, the batch writes nothing.
  firn_batch_clear(b);
  REQUIRE(firn_write(t.db, b) == FIRN_OK);
  CHECK(t.Get("y") == "2");
  firn_batch_free(b);
  t.Reopen();
  CHECK(t.Get("x") == "NOT_FOUND");
  CHECK(t.Get("y") == "2");
  CHECK(t.Get("z") == "3");
}

TEST_CASE("BatchWithAnOversizedKeyWritesNothing") {
  firn_options* o = SmallOptions();
  REQUIRE(firn_options_set(o, "max_key_bytes", "16") == FIRN_OK);
  OpenDb t(o);
  firn_batch* b = firn_batch_new();
  firn_batch_put(b, "ok", 2, "fine", 4);
  std::string big(17, 'k');
  firn_batch_put(b, big.data(), big.size(), "v", 1);
  CHECK(firn_write(t.db, b) == FIRN_INVALID_ARGUMENT);
  CHECK(t.Get("ok") == "NOT_FOUND");
  firn_batch_free(b);
  firn_options_free(o);
}

TEST_CASE("OversizedKeyOrValueIsInvalidArgumentAndNothingIsWritten") {
  firn_options* o = SmallOptions();
  REQUIRE(firn_options_set(o, "max_key_bytes", "16") == FIRN_OK);
  REQUIRE(firn_options_set(o, "max_value_bytes", "100") == FIRN_OK);
  OpenDb t(o);
  std::string big(17, 'k');
  CHECK(t.Put(big, "v") == FIRN_INVALID_ARGUMENT);
  CHECK(std::strlen(firn_last_error()) > 0);
  CHECK(t.Get(big) == "NOT_FOUND");
  CHECK(t.Put("k", std::string(101, 'v')) == FIRN_INVALID_ARGUMENT);
  CHECK(t.Get("k") == "NOT_FOUND");
  CHECK(t.Put(std::string(16, 'k'), std::string(100, 'v')) == FIRN_OK);
  CHECK(t.Get(std::string(16, 'k')) == std::string(100, 'v'));
  std::string json = Property(t.db, "firn.stats.json");
  CHECK(JsonField(json, "user_bytes_written") == 116);
  firn_options_free(o);
}

TEST_CASE("IteratorSeeksAndWalksBothWays") {
  OpenDb t;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 2000; i += 2) {
    REQUIRE(t.Put(Key(i), "v" + std::to_string(i)) == FIRN_OK);
    model[Key(i)] = "v" + std::to_string(i);
    if (i == 1000) REQUIRE(firn_flush(t.db) == FIRN_OK);
  }
  firn_iter* it = nullptr;
  REQUIRE(firn_iter_new(t.db, &it) == FIRN_OK);
  CHECK(!firn_iter_valid(it));  // invalid until a seek
  size_t len = 5;
  CHECK(firn_iter_key(it, &len) == nullptr);
  CHECK(len == 0);
  CHECK(firn_iter_value(it, &len) == nullptr);

  // Written after the iterator: not seen.
  REQUIRE(t.Put(Key(1), "late") == FIRN_OK);

  firn_iter_seek_first(it);
  auto m = model.begin();
  for (; firn_iter_valid(it); firn_iter_next(it), ++m) {
    REQUIRE(m != model.end());
    CHECK(IterKey(it) == m->first);
    CHECK(IterValue(it) == m->second);
  }
  CHECK(m == model.end());
  firn_iter_next(it);  // on an invalid iterator: nothing
  CHECK(!firn_iter_valid(it));

  firn_iter_seek_last(it);
  auto r = model.rbegin();
  for (; firn_iter_valid(it); firn_iter_prev(it), ++r) {
    REQUIRE(r != model.rend());
    CHECK(IterKey(it) == r->first);
  }
  CHECK(r == model.rend());

  firn_iter_seek(it, Key(101).data(), Key(101).size());
  REQUIRE(firn_iter_valid(it));
  CHECK(IterKey(it) == Key(102));
  firn_iter_prev(it);
  REQUIRE(firn_iter_valid(it));
  CHECK(IterKey(it) == Key(100));
  firn_iter_next(it);
  firn_iter_next(it);
  CHECK(IterKey(it) == Key(104));
  CHECK(IterValue(it) == "v104");
  firn_iter_seek(it, Key(1998).data(), Key(1998).size());
  CHECK(IterKey(it) == Key(1998));
  firn_iter_seek(it, "zzz", 3);
  CHECK(!firn_iter_valid(it));
  CHECK(firn_iter_status(it) == FIRN_OK);
  firn_iter_free(it);

  // A new iterator sees the late write.
  REQUIRE(firn_iter_new(t.db, &it) == FIRN_OK);
  firn_iter_seek(it, Key(1).data(), Key(1).size());
  REQUIRE(firn_iter_valid(it));
  CHECK(IterKey(it) == Key(1));
  CHECK(IterValue(it) == "late");
  firn_iter_free(it);
}

TEST_CASE("CompactAndStatsProperties") {
  OpenDb t;
  std::string value(100, 'v');
  for (int i = 0; i < 3000; ++i) REQUIRE(t.Put(Key(i % 1000), value) == FIRN_OK);
  REQUIRE(firn_compact(t.db) == FIRN_OK);
  for (int i = 0; i < 1000; i += 37) CHECK(t.Get(Key(i)) == value);
  std::string stats = Property(t.db, "firn.stats");
  CHECK(stats.find("write amplification") != std::string::npos);
  std::string json = Property(t.db, "firn.stats.json");
  CHECK(json.front() == '{');
  CHECK(json.back() == '}');
  CHECK(JsonField(json, "user_bytes_written") == 3000 * (9 + 100));
  CHECK(JsonField(json, "device_bytes_written") > 0);
  CHECK(JsonField(json, "live_files") >= 1);
  CHECK(JsonField(json, "compactions") >= 1);
  std::string levels = Property(t.db, "firn.levels");
  CHECK(!levels.empty());
  CHECK(firn_property(t.db, "firn.no_such_property") == nullptr);
  CHECK(firn_property(t.db, "") == nullptr);
}

TEST_CASE("NullHandlesAndNullBuffersReturnInvalidArgument") {
  OpenDb t;
  REQUIRE(t.Put("k", "v") == FIRN_OK);
  void* val = nullptr;
  size_t len = 0;
  firn_iter* it = nullptr;
  firn_db* out = nullptr;

  CHECK(firn_put(nullptr, "k", 1, "v", 1) == FIRN_INVALID_ARGUMENT);
  CHECK(ErrorMentions("firn_put"));
  CHECK(firn_put(t.db, nullptr, 3, "v", 1) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_put(t.db, "k", 1, nullptr, 3) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_get(nullptr, "k", 1, &val, &len) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_get(t.db, nullptr, 3, &val, &len) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_get(t.db, "k", 1, nullptr, &len) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_get(t.db, "k", 1, &val, nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_delete(nullptr, "k", 1) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_delete(t.db, nullptr, 3) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_sync(nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_flush(nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_compact(nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_close(nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_open(nullptr, nullptr, &out) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_open(t.dir.path.c_str(), nullptr, nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_iter_new(nullptr, &it) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_iter_new(t.db, nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_iter_status(nullptr) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_property(nullptr, "firn.stats") == nullptr);
  CHECK(firn_property(t.db, nullptr) == nullptr);

  // Batches: a NULL buffer poisons the batch; firn_write refuses it whole.
  firn_batch* b = firn_batch_new();
  firn_batch_put(b, "good", 4, "1", 1);
  firn_batch_put(b, nullptr, 3, "v", 1);
  CHECK(firn_write(t.db, b) == FIRN_INVALID_ARGUMENT);
  CHECK(t.Get("good") == "NOT_FOUND");
  firn_batch_clear(b);
  firn_batch_put(b, "good", 4, nullptr, 2);
  CHECK(firn_write(t.db, b) == FIRN_INVALID_ARGUMENT);
  firn_batch_clear(b);
  firn_batch_delete(b, nullptr, 1);
  CHECK(firn_write(t.db, b) == FIRN_INVALID_ARGUMENT);
  firn_batch_clear(b);  // clearing makes it usable again
  firn_batch_put(b, "good", 4, "1", 1);
  CHECK(firn_write(t.db, b) == FIRN_OK);
  CHECK(t.Get("good") == "1");
  CHECK(firn_write(nullptr, b) == FIRN_INVALID_ARGUMENT);
  CHECK(firn_write(t.db, nullptr) == FIRN_INVALID_ARGUMENT);
  firn_batch_put(nullptr, "k", 1, "v", 1);
  firn_batch_delete(nullptr, "k", 1);
  firn_batch_clear(nullptr);
  firn_batch_free(b);
  firn_batch_free(nullptr);

  // Iterator calls on NULL do nothing and return NULL / 0.
  firn_iter_seek(nullptr, "k", 1);
  firn_iter_seek_first(nullptr);
  firn_iter_seek_last(nullptr);
  firn_iter_next(nullptr);
  firn_iter_prev(nullptr);
  CHECK(firn_iter_valid(nullptr) == 0);
  len = 77;
  CHECK(firn_iter_key(nullptr, &len) == nullptr);
  CHECK(len == 0);
  len = 77;
  CHECK(firn_iter_value(nullptr, &len) == nullptr);
  CHECK(len == 0);
  CHECK(firn_iter_key(nullptr, nullptr) == nullptr);
  firn_iter_free(nullptr);
  // A NULL seek key with a length leaves a valid iterator where it was.
  REQUIRE(firn_iter_new(t.db, &it) == FIRN_OK);
  firn_iter_seek_first(it);
  firn_iter_seek(it, nullptr, 3);
  REQUIRE(firn_iter_valid(it));
  CHECK(IterKey(it) == "good");
  CHECK(firn_iter_key(it, nullptr) != nullptr);  // len may be NULL
  firn_iter_free(it);

  firn_options_free(nullptr);
  firn_free(nullptr);
  // The database is still fine.
  CHECK(t.Get("k") == "v");
}

TEST_CASE("SecondOpenOfTheSamePathIsBusy") {
  OpenDb t;
  firn_db* second = reinterpret_cast<firn_db*>(1);
  CHECK(firn_open(t.dir.path.c_str(), nullptr, &second) == FIRN_BUSY);
  CHECK(second == nullptr);
  CHECK(std::strlen(firn_last_error()) > 0);
  REQUIRE(t.Put("k", "v") == FIRN_OK);
  REQUIRE(firn_close(t.db) == FIRN_OK);
  t.db = nullptr;
  // Closed: the next open succeeds.
  REQUIRE(firn_open(t.dir.path.c_str(), nullptr, &t.db) == FIRN_OK);
  CHECK(t.Get("k") == "v");
}

TEST_CASE("ErrorIfExistsOnAnExistingDatabaseIsInvalidArgument") {
  OpenDb t;
  REQUIRE(t.Put("k", "v") == FIRN_OK);
  REQUIRE(firn_close(t.db) == FIRN_OK);
  t.db = nullptr;
  firn_options* o = firn_options_new();
  REQUIRE(firn_options_set(o, "error_if_exists", "true") == FIRN_OK);
  firn_db* db = nullptr;
  CHECK(firn_open(t.dir.path.c_str(), o, &db) == FIRN_INVALID_ARGUMENT);
  CHECK(db == nullptr);
  // A fresh path with error_if_exists opens fine; without
  // create_if_missing a missing database is refused.
  TempDir other;
  CHECK(firn_open(other.path.c_str(), o, &db) == FIRN_OK);
  CHECK(firn_close(db) == FIRN_OK);
  TempDir missing;
  firn_options* no_create = firn_options_new();
  REQUIRE(firn_options_set(no_create, "create_if_missing", "false") == FIRN_OK);
  db = nullptr;
  CHECK(firn_open(missing.path.c_str(), no_create, &db) == FIRN_INVALID_ARGUMENT);
  CHECK(db == nullptr);
  firn_options_free(no_create);
  firn_options_free(o);
  // The database itself is intact.
  REQUIRE(firn_open(t.dir.path.c_str(), nullptr, &t.db) == FIRN_OK);
  CHECK(t.Get("k") == "v");
}

TEST_CASE("EveryCompactionAndCompressionChoiceOpensAndReopens") {
  for (const char* compaction : {"learned", "tiered", "leveled"}) {
    for (const char* compression : {"lz4", "none"}) {
      CAPTURE(compaction);
      CAPTURE(compression);
      firn_options* o = firn_options_new();
      REQUIRE(firn_options_set(o, "compaction", compaction) == FIRN_OK);
      REQUIRE(firn_options_set(o, "compression", compression) == FIRN_OK);
      REQUIRE(firn_options_set(o, "memtable_bytes", "64K") == FIRN_OK);
      OpenDb t(o);
      for (int i = 0; i < 1500; ++i) REQUIRE(t.Put(Key(i), std::string(60, 'a' + i % 26)) == FIRN_OK);
      REQUIRE(firn_compact(t.db) == FIRN_OK);
      REQUIRE(firn_close(t.db) == FIRN_OK);
      t.db = nullptr;
      REQUIRE(firn_open(t.dir.path.c_str(), o, &t.db) == FIRN_OK);
      CHECK(t.Get(Key(777)) == std::string(60, 'a' + 777 % 26));
      // The build carries a trained model, so "learned" is the learned picker.
      CHECK(Property(t.db, "firn.picker") == std::string(compaction));
      firn_options_free(o);
    }
  }
}

TEST_CASE("SyncOptionWritesAreReadBackAfterReopen") {
  firn_options* o = SmallOptions();
  REQUIRE(firn_options_set(o, "sync", "true") == FIRN_OK);
  OpenDb t(o);
  for (int i = 0; i < 20; ++i) REQUIRE(t.Put(Key(i), "s" + std::to_string(i)) == FIRN_OK);
  // Every acknowledged write was synced.
  CHECK(JsonField(Property(t.db, "firn.stats.json"), "syncs") >= 20);
  REQUIRE(firn_close(t.db) == FIRN_OK);
  t.db = nullptr;
  REQUIRE(firn_open(t.dir.path.c_str(), o, &t.db) == FIRN_OK);
  CHECK(t.Get(Key(19)) == "s19");
  firn_options_free(o);
}
