// Tests of sst/table.h: building and reading SST files, point lookups that
// read at most one data block, the bloom filter, the block cache, and
// damaged files (bit flips, truncation, bad magic, unknown version).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "port/env.h"
#include "sst/block_cache.h"
#include "sst/format.h"
#include "sst/table.h"
#include "util/coding.h"
#include "util/random.h"

namespace firn {
namespace {

const std::string kFname = "000042.sst";

// Appends to a std::string; fails every Append once fail_after bytes have
// been written.
class StringSink : public WritableFile {
 public:
  explicit StringSink(std::string* dst, uint64_t fail_after = UINT64_MAX)
      : dst_(dst), fail_after_(fail_after) {}
  Status Append(std::string_view data) override {
    if (dst_->size() + data.size() > fail_after_) return Status::NoSpace(kFname, "disk full");
    dst_->append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  std::string* dst_;
  uint64_t fail_after_;
};

// Reads from a copy of a std::string, counting reads.
class StringSource : public RandomAccessFile {
 public:
  explicit StringSource(std::string data, std::atomic<int>* reads = nullptr)
      : data_(std::move(data)), reads_(reads) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    if (reads_ != nullptr) (*reads_)++;
    if (offset > data_.size()) {
      *result = {};
      return Status::OK();
    }
    const size_t len = std::min<uint64_t>(n, data_.size() - offset);
    std::copy_n(data_.data() + offset, len, scratch);
    *result = std::string_view(scratch, len);
    return Status::OK();
  }

 private:
  const std::string data_;
  std::atomic<int>* reads_;
};

struct Entry {
  std::string ikey;
  std::string value;
};
using Model = std::vector<Entry>;

bool EntryLess(const Entry& a, const Entry& b) { return CompareInternalKey(a.ikey, b.ikey) < 0; }

std::string UserKey(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "user%08llu", static_cast<unsigned long long>(i));
  return buf;
}

// Somewhat compressible values of 0..120 bytes.
std::string MakeValue(Random* rnd, uint64_t i) {
  std::string v = "v" + std::to_string(i) + ":";
  const size_t len = rnd->Uniform(120);
  while (v.size() < len) v.push_back(static_cast<char>('a' + rnd->Uniform(4)));
  return v;
}

// About n entries: user keys 3*i (so 3*i+1 is absent), 1..3 versions each
// with decreasing sequences, one in ten a deletion.
Model MakeModel(size_t n, uint64_t seed) {
  Random rnd(seed);
  Model m;
  for (uint64_t i = 0; m.size() < n; i++) {
    const std::string uk = UserKey(3 * i);
    const int versions = 1 + static_cast<int>(rnd.Uniform(3));
    SequenceNumber seq = 1000 + rnd.Uniform(1000000);
    for (int v = 0; v < versions && m.size() < n; v++) {
      const ValueType t = rnd.OneIn(10) ? kTypeDeletion : kTypeValue;
      m.push_back({MakeInternalKey(uk, seq, t), t == kTypeValue ? MakeValue(&rnd, i) : ""});
      seq -= 1 + rnd.Uniform(500);
    }
  }
  return m;
}

std::string Build(const TableOptions& options, const Model& model) {
  std::string contents;
  StringSink sink(&contents);
  TableBuilder builder(options, &sink);
  for (const auto& e : model) builder.Add(e.ikey, e.value);
  REQUIRE(builder.NumEntries() == model.size());
  REQUIRE(builder.Finish().ok());
  REQUIRE(builder.FileSize() == contents.size());
  return contents;
}

Status OpenTable(const std::string& contents, std::unique_ptr<Table>* table,
                 BlockCache* cache = nullptr, uint64_t file_number = 42,
                 std::atomic<int>* reads = nullptr) {
  return Table::Open(TableOptions(), std::make_unique<StringSource>(contents, reads),
                     contents.size(), kFname, file_number, cache, table);
}

// Expected Get result from the model.
struct Expected {
  bool found = false;
  ValueType type = kTypeValue;
  std::string value;
};
Expected ModelGet(const Model& m, std::string_view user_key, SequenceNumber seq) {
  Expected r;
  const Entry probe{MakeLookupKey(user_key, seq), ""};
  auto it = std::lower_bound(m.begin(), m.end(), probe, EntryLess);
  if (it != m.end() && ExtractUserKey(it->ikey) == user_key) {
    r.found = true;
    r.type = ExtractValueType(it->ikey);
    if (r.type == kTypeValue) r.value = it->value;
  }
  return r;
}

bool NamesFileAndOffset(const Status& s) {
  const std::string msg(s.message());
  return msg.find(kFname) != std::string::npos && msg.find("offset") != std::string::npos;
}

// Checks a lookup against the model; the data block read is at most one.
void CheckGet(const Table& table, const Model& m, std::string_view user_key,
              SequenceNumber seq) {
  ReadStats stats;
  bool found = true;
  ValueType type = kTypeDeletion;
  std::string value = "stale";
  Status s = table.Get(ReadOptions(), user_key, seq, &found, &type, &value, &stats);
  REQUIRE(s.ok());
  const Expected want = ModelGet(m, user_key, seq);
  REQUIRE(found == want.found);
  if (want.found) {
    REQUIRE(type == want.type);
    if (type == kTypeValue) REQUIRE(value == want.value);
  }
  REQUIRE(stats.blocks_read <= 1);
  REQUIRE(stats.files_probed == 1);
}

void CheckIterationBothWays(const Table& table, const Model& m) {
  std::unique_ptr<Iterator> it(table.NewIterator(ReadOptions()));
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    REQUIRE(i < m.size());
    REQUIRE(it->key() == m[i].ikey);
    REQUIRE(it->value() == m[i].value);
  }
  REQUIRE(it->status().ok());
  REQUIRE(i == m.size());
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    REQUIRE(i > 0);
    i--;
    REQUIRE(it->key() == m[i].ikey);
    REQUIRE(it->value() == m[i].value);
  }
  REQUIRE(it->status().ok());
  REQUIRE(i == 0);
}

void CheckRandomSeeks(const Table& table, const Model& m, int count, uint64_t seed) {
  Random rnd(seed);
  std::unique_ptr<Iterator> it(table.NewIterator(ReadOptions()));
  for (int n = 0; n < count; n++) {
    std::string target;
    switch (rnd.Uniform(3)) {
      case 0: target = m[rnd.Uniform(m.size())].ikey; break;
      case 1: target = MakeLookupKey(UserKey(rnd.Uniform(m.size() * 3)), rnd.Uniform(2000000)); break;
      default: target = MakeLookupKey(UserKey(rnd.Uniform(m.size() * 3)), kMaxSequenceNumber);
    }
    const auto want = std::lower_bound(m.begin(), m.end(), Entry{target, ""}, EntryLess);
    it->Seek(target);
    if (want == m.end()) {
      REQUIRE_FALSE(it->Valid());
      continue;
    }
    REQUIRE(it->Valid());
    REQUIRE(it->key() == want->ikey);
    // Step both ways from the seek position.
    it->Prev();
    if (want == m.begin()) {
      REQUIRE_FALSE(it->Valid());
    } else {
      REQUIRE(it->Valid());
      REQUIRE(it->key() == (want - 1)->ikey);
      it->Next();
      REQUIRE(it->key() == want->ikey);
      it->Next();
      if (want + 1 == m.end()) {
        REQUIRE_FALSE(it->Valid());
      } else {
        REQUIRE(it->key() == (want + 1)->ikey);
      }
    }
  }
  REQUIRE(it->status().ok());
}

TEST_CASE("TableRoundTripsFiftyThousandEntriesWithLZ4AndWithout") {
  const Model m = MakeModel(50000, 7);
  size_t sizes[2] = {0, 0};
  for (CompressionType c : {CompressionType::kLZ4, CompressionType::kNone}) {
    CAPTURE(static_cast<int>(c));
    TableOptions options;
    options.compression = c;
    const std::string contents = Build(options, m);
    sizes[c == CompressionType::kLZ4 ? 0 : 1] = contents.size();
    std::unique_ptr<Table> table;
    REQUIRE(OpenTable(contents, &table).ok());
    CheckIterationBothWays(*table, m);
    CheckRandomSeeks(*table, m, 5000, 11);
    CHECK(table->VerifyChecksums().ok());
    CHECK(table->MemoryUsage() > 0);
  }
  // The values are compressible, so LZ4 was really used.
  CHECK(sizes[0] < sizes[1] * 3 / 4);
}

TEST_CASE("GetFindsNewestVisibleVersionReadingAtMostOneDataBlock") {
  const Model m = MakeModel(20000, 8);
  for (int bloom_bits : {10, 0}) {
    CAPTURE(bloom_bits);
    TableOptions options;
    options.bloom_bits_per_key = bloom_bits;
    options.block_bytes = 1024;
    std::unique_ptr<Table> table;
    REQUIRE(OpenTable(Build(options, m), &table).ok());
    Random rnd(9);
    for (size_t i = 0; i < m.size(); i += 1 + rnd.Uniform(5)) {
      const std::string uk(ExtractUserKey(m[i].ikey));
      const SequenceNumber seq = ExtractSequence(m[i].ikey);
      CheckGet(*table, m, uk, seq);           // exactly this version
      CheckGet(*table, m, uk, seq - 1);       // an older one, or none
      CheckGet(*table, m, uk, seq + 1);       // this one is the newest visible
      CheckGet(*table, m, uk, kMaxSequenceNumber);
    }
    // Absent keys: between, before and after the stored ones.
    for (uint64_t i = 0; i < 2000; i++) CheckGet(*table, m, UserKey(3 * rnd.Uniform(20000) + 1), kMaxSequenceNumber);
    CheckGet(*table, m, "", kMaxSequenceNumber);
    CheckGet(*table, m, "zzzz", kMaxSequenceNumber);
    CheckGet(*table, m, UserKey(3 * 0), 0);  // only versions newer than 0
  }
}

TEST_CASE("GetReadsOneBlockWhenVersionsStraddleABlockBoundary") {
  // 64 versions of each of a few keys with 40-byte values in 256-byte
  // blocks: every key's versions span several blocks.
  Model m;
  for (int k = 0; k < 6; k++) {
    for (SequenceNumber seq = 640; seq >= 10; seq -= 10) {
      m.push_back({MakeInternalKey("key" + std::to_string(k), seq, kTypeValue),
                   std::string(40, static_cast<char>('a' + k)) + std::to_string(seq)});
    }
  }
  TableOptions options;
  options.block_bytes = 256;
  options.bloom_bits_per_key = 0;
  const std::string contents = Build(options, m);
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(contents, &table).ok());
  for (int k = 0; k < 7; k++) {
    const std::string uk = "key" + std::to_string(k);
    for (SequenceNumber seq = 0; seq <= 660; seq++) CheckGet(*table, m, uk, seq);
    CheckGet(*table, m, uk + "0", kMaxSequenceNumber);  // absent, sorts right after uk
  }
  // And the index really has many blocks.
  CHECK(table->ApproximateOffsetOf(m.back().ikey) > 10 * 256);
}

TEST_CASE("BloomNegativesSkipTheDataBlock") {
  const Model m = MakeModel(5000, 10);
  std::unique_ptr<Table> table;
  std::atomic<int> reads{0};
  REQUIRE(OpenTable(Build(TableOptions(), m), &table, nullptr, 42, &reads).ok());
  const int reads_after_open = reads.load();
  ReadStats stats;
  for (uint64_t i = 0; i < 1000; i++) {
    bool found = true;
    ValueType type;
    std::string value;
    REQUIRE(table->Get(ReadOptions(), UserKey(3 * i + 1), kMaxSequenceNumber, &found, &type,
                       &value, &stats).ok());
    CHECK_FALSE(found);
  }
  CHECK(stats.files_probed == 1000);
  CHECK(stats.bloom_negatives >= 970);  // about 1% false positives
  // Only the false positives touched a data block.
  CHECK(stats.blocks_read == 1000 - stats.bloom_negatives);
  CHECK(static_cast<uint64_t>(reads.load() - reads_after_open) == stats.blocks_read);
}

TEST_CASE("EmptyKeysAndBinaryKeysWithNulBytesRoundTrip") {
  const std::vector<std::string> user_keys = {
      std::string(), std::string(1, '\0'), std::string(2, '\0'), std::string("a\0b", 3),
      std::string("a\0c", 3), "a", std::string("\x7f\xff", 2), std::string("\xff\xff\xff", 3)};
  Model m;
  for (const auto& uk : user_keys) {
    m.push_back({MakeInternalKey(uk, 9, kTypeValue), "new:" + uk});
    m.push_back({MakeInternalKey(uk, 5, kTypeDeletion), ""});
    m.push_back({MakeInternalKey(uk, 2, kTypeValue), std::string("old\0", 4) + uk});
  }
  std::sort(m.begin(), m.end(), EntryLess);
  for (size_t block_bytes : {size_t{1}, size_t{64}, size_t{4096}}) {
    CAPTURE(block_bytes);
    TableOptions options;
    options.block_bytes = block_bytes;
    std::unique_ptr<Table> table;
    REQUIRE(OpenTable(Build(options, m), &table).ok());
    CheckIterationBothWays(*table, m);
    for (const auto& uk : user_keys) {
      for (SequenceNumber seq : {SequenceNumber{1}, SequenceNumber{2}, SequenceNumber{5},
                                 SequenceNumber{8}, SequenceNumber{9}, kMaxSequenceNumber}) {
        CheckGet(*table, m, uk, seq);
      }
      CheckGet(*table, m, uk + std::string(1, '\0'), kMaxSequenceNumber);  // absent
    }
  }
}

TEST_CASE("ValuesLargerThanABlockRoundTrip") {
  Random rnd(12);
  Model m;
  for (int i = 0; i < 40; i++) {
    std::string v;
    const size_t len = (i % 4 == 0) ? 100000 + rnd.Uniform(50000) : rnd.Uniform(9000);
    for (size_t j = 0; j < len; j++) v.push_back(static_cast<char>(rnd.Uniform(i % 2 ? 256 : 3)));
    m.push_back({MakeInternalKey(UserKey(i), 1, kTypeValue), v});
  }
  for (CompressionType c : {CompressionType::kLZ4, CompressionType::kNone}) {
    TableOptions options;
    options.compression = c;
    options.block_bytes = 4096;
    std::unique_ptr<Table> table;
    REQUIRE(OpenTable(Build(options, m), &table).ok());
    CheckIterationBothWays(*table, m);
    for (int i = 0; i < 41; i++) CheckGet(*table, m, UserKey(i), 5);
  }
}

TEST_CASE("EmptyTableHasNoEntries") {
  const std::string contents = Build(TableOptions(), {});
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(contents, &table).ok());
  std::unique_ptr<Iterator> it(table->NewIterator(ReadOptions()));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
  bool found = true;
  ValueType type;
  std::string value;
  CHECK(table->Get(ReadOptions(), "x", 10, &found, &type, &value, nullptr).ok());
  CHECK_FALSE(found);
  CHECK(table->VerifyChecksums().ok());
}

TEST_CASE("BlockCacheServesRepeatedReadsAndHonoursFillCache") {
  const Model m = MakeModel(3000, 13);
  BlockCache cache(1 << 20);
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(Build(TableOptions(), m), &table, &cache, 77).ok());
  const std::string uk(ExtractUserKey(m[100].ikey));
  bool found;
  ValueType type;
  std::string value;

  ReadOptions no_fill;
  no_fill.fill_cache = false;
  ReadStats s0;
  REQUIRE(table->Get(no_fill, uk, kMaxSequenceNumber, &found, &type, &value, &s0).ok());
  CHECK(s0.blocks_read == 1);
  CHECK(s0.block_cache_hits == 0);
  CHECK(cache.usage() == 0);

  ReadStats s1;
  REQUIRE(table->Get(ReadOptions(), uk, kMaxSequenceNumber, &found, &type, &value, &s1).ok());
  CHECK(s1.block_cache_hits == 0);
  CHECK(s1.bytes_read > 0);
  CHECK(cache.usage() > 0);

  ReadStats s2;
  REQUIRE(table->Get(ReadOptions(), uk, kMaxSequenceNumber, &found, &type, &value, &s2).ok());
  CHECK(found);
  CHECK(s2.blocks_read == 1);
  CHECK(s2.block_cache_hits == 1);
  CHECK(s2.bytes_read == 0);

  cache.EraseFile(77);
  ReadStats s3;
  std::unique_ptr<Iterator> it(table->NewIterator(ReadOptions(), &s3));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  CHECK(s3.block_cache_hits == 0);
  ReadStats s4;
  it.reset(table->NewIterator(ReadOptions(), &s4));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  CHECK(s4.blocks_read == s3.blocks_read);
  CHECK(s4.block_cache_hits == s4.blocks_read);
}

TEST_CASE("ConcurrentGetsOnOneTableAgree") {
  const Model m = MakeModel(5000, 14);
  BlockCache cache(16 * 1024);
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(Build(TableOptions(), m), &table, &cache).ok());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; t++) {
    threads.emplace_back([&, t] {
      Random rnd(50 + t);
      for (int n = 0; n < 3000; n++) {
        const std::string uk(ExtractUserKey(m[rnd.Uniform(m.size())].ikey));
        bool found;
        ValueType type;
        std::string value;
        Status s = table->Get(ReadOptions(), uk, kMaxSequenceNumber, &found, &type, &value,
                              nullptr);
        const Expected want = ModelGet(m, uk, kMaxSequenceNumber);
        if (!s.ok() || found != want.found || (found && value != want.value)) mismatches++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE("ApproximateOffsetOfGrowsWithTheKey") {
  const Model m = MakeModel(10000, 15);
  const std::string contents = Build(TableOptions(), m);
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(contents, &table).ok());
  CHECK(table->ApproximateOffsetOf(m.front().ikey) == 0);
  uint64_t prev = 0;
  for (size_t i = 0; i < m.size(); i += 97) {
    const uint64_t off = table->ApproximateOffsetOf(m[i].ikey);
    CHECK(off >= prev);
    prev = off;
  }
  const uint64_t end = table->ApproximateOffsetOf(MakeLookupKey("zzz", kMaxSequenceNumber));
  CHECK(end >= prev);
  CHECK(end > contents.size() / 2);
  CHECK(end < contents.size());
}

TEST_CASE("BuilderReportsWriteErrorsAndEstimatesSize") {
  const Model m = MakeModel(3000, 16);
  std::string contents;
  StringSink sink(&contents, 10000);
  TableBuilder builder(TableOptions(), &sink);
  for (const auto& e : m) builder.Add(e.ikey, e.value);
  CHECK(builder.status().IsNoSpace());
  CHECK(builder.Finish().IsNoSpace());
  CHECK(contents.size() <= 10000);

  std::string ok_contents;
  StringSink ok_sink(&ok_contents);
  TableBuilder ok_builder(TableOptions(), &ok_sink);
  for (const auto& e : m) ok_builder.Add(e.ikey, e.value);
  const uint64_t estimate = ok_builder.EstimatedFileSize();
  REQUIRE(ok_builder.Finish().ok());
  CHECK(estimate >= ok_contents.size() * 9 / 10);
  CHECK(estimate <= ok_contents.size() * 11 / 10);
}

// ---- damaged files ----

// Footer field positions, counted from the end of the file.
constexpr size_t kVersionFromEnd = 12;
constexpr size_t kMagicFromEnd = 8;

TEST_CASE("EveryFlippedBitIsDetectedOrHarmless") {
  const Model m = MakeModel(1500, 17);
  for (CompressionType c : {CompressionType::kLZ4, CompressionType::kNone}) {
    CAPTURE(static_cast<int>(c));
    TableOptions options;
    options.compression = c;
    options.block_bytes = 512;
    const std::string good = Build(options, m);
    Random rnd(18);
    // Every byte of the tail (index, footer), a sample of the rest.
    std::vector<size_t> positions;
    for (size_t pos = 0; pos < good.size(); pos += 1 + rnd.Uniform(40)) positions.push_back(pos);
    for (size_t pos = good.size() > 400 ? good.size() - 400 : 0; pos < good.size(); pos++) {
      positions.push_back(pos);
    }
    std::vector<std::string> probe_keys;
    for (size_t i = 0; i < m.size(); i += 13) probe_keys.emplace_back(ExtractUserKey(m[i].ikey));
    for (uint64_t i = 0; i < 30; i++) probe_keys.push_back(UserKey(3 * i * 31 + 1));
    int open_failures = 0, read_failures = 0, harmless = 0;
    for (size_t pos : positions) {
      CAPTURE(pos);
      std::string bad = good;
      bad[pos] ^= static_cast<char>(1 << rnd.Uniform(8));
      std::unique_ptr<Table> table;
      Status s = OpenTable(bad, &table);
      if (!s.ok()) {
        const size_t from_end = good.size() - pos;
        if (s.IsInvalidArgument()) {
          // Only a flip in the version field can look like a newer version.
          REQUIRE(from_end <= kVersionFromEnd);
          REQUIRE(from_end > kMagicFromEnd);
        } else {
          REQUIRE(s.IsCorruption());
          REQUIRE(NamesFileAndOffset(s));
        }
        open_failures++;
        continue;
      }
      // Entries are compared without an assertion each (speed); the first
      // mismatch fails the test.
      bool failed = false;
      // Forward: each entry right; stopping early only with Corruption.
      std::unique_ptr<Iterator> it(table->NewIterator(ReadOptions()));
      size_t i = 0;
      bool entries_right = true;
      for (it->SeekToFirst(); it->Valid() && entries_right; it->Next(), i++) {
        entries_right = i < m.size() && it->key() == m[i].ikey && it->value() == m[i].value;
      }
      REQUIRE(entries_right);
      if (it->status().ok()) {
        REQUIRE(i == m.size());
      } else {
        REQUIRE(it->status().IsCorruption());
        REQUIRE(NamesFileAndOffset(it->status()));
        failed = true;
      }
      it.reset(table->NewIterator(ReadOptions()));
      i = m.size();
      for (it->SeekToLast(); it->Valid() && entries_right; it->Prev()) {
        entries_right = i > 0 && it->key() == m[i - 1].ikey && it->value() == m[i - 1].value;
        i--;
      }
      REQUIRE(entries_right);
      if (it->status().ok()) {
        REQUIRE(i == 0);
      } else {
        REQUIRE(it->status().IsCorruption());
        REQUIRE(NamesFileAndOffset(it->status()));
        failed = true;
      }
      for (const auto& uk : probe_keys) {
        bool found = false;
        ValueType type = kTypeValue;
        std::string value;
        Status gs = table->Get(ReadOptions(), uk, kMaxSequenceNumber, &found, &type, &value,
                               nullptr);
        if (!gs.ok()) {
          REQUIRE(gs.IsCorruption());
          REQUIRE(NamesFileAndOffset(gs));
          failed = true;
          continue;
        }
        const Expected want = ModelGet(m, uk, kMaxSequenceNumber);
        const bool right = found == want.found &&
                           (!found || (type == want.type && value == want.value));
        CAPTURE(uk);
        REQUIRE(right);
      }
      Status vs = table->VerifyChecksums();
      if (!vs.ok()) {
        REQUIRE(vs.IsCorruption());
        failed = true;
      }
      (failed ? read_failures : harmless)++;
    }
    MESSAGE("positions " << positions.size() << ": open failed " << open_failures
                         << ", reads failed " << read_failures << ", harmless " << harmless);
    CHECK(open_failures > 0);
    CHECK(read_failures > 0);
  }
}

TEST_CASE("TruncatedFileIsCorruption") {
  const std::string good = Build(TableOptions(), MakeModel(2000, 19));
  for (size_t cut : {size_t{1}, size_t{8}, size_t{12}, size_t{63}, size_t{64}, size_t{65},
                     size_t{500}, good.size() / 2, good.size() - 10, good.size()}) {
    CAPTURE(cut);
    std::unique_ptr<Table> table;
    Status s = OpenTable(good.substr(0, good.size() - cut), &table);
    CHECK(s.IsCorruption());
    CHECK(NamesFileAndOffset(s));
    CHECK(table == nullptr);
  }
}

TEST_CASE("ShortReadOfATruncatedFileIsCorruption") {
  // The caller claims the original size but the file is shorter.
  const Model m = MakeModel(2000, 20);
  const std::string good = Build(TableOptions(), m);
  std::unique_ptr<Table> table;
  Status s = Table::Open(TableOptions(), std::make_unique<StringSource>(good.substr(0, good.size() - 5)),
                         good.size(), kFname, 1, nullptr, &table);
  CHECK(s.IsCorruption());
  CHECK(NamesFileAndOffset(s));
}

TEST_CASE("WrongMagicIsCorruption") {
  std::string bad = Build(TableOptions(), MakeModel(100, 21));
  EncodeFixed64(bad.data() + bad.size() - kMagicFromEnd, 0x0123456789abcdefull);
  std::unique_ptr<Table> table;
  Status s = OpenTable(bad, &table);
  CHECK(s.IsCorruption());
  CHECK(NamesFileAndOffset(s));
  CHECK(std::string(s.message()).find("magic") != std::string::npos);
}

TEST_CASE("UnknownFormatVersionIsInvalidArgument") {
  std::string bad = Build(TableOptions(), MakeModel(100, 22));
  EncodeFixed32(bad.data() + bad.size() - kVersionFromEnd, 99);
  std::unique_ptr<Table> table;
  Status s = OpenTable(bad, &table);
  CHECK(s.IsInvalidArgument());
  const std::string msg(s.message());
  CHECK(msg.find(kFname) != std::string::npos);
  CHECK(msg.find("99") != std::string::npos);

  EncodeFixed32(bad.data() + bad.size() - kVersionFromEnd, 0);
  s = OpenTable(bad, &table);
  CHECK(s.IsCorruption());
}

TEST_CASE("FooterHoldsFormatVersionOneAndMagic") {
  const std::string contents = Build(TableOptions(), MakeModel(10, 23));
  CHECK(DecodeFixed32(contents.data() + contents.size() - kVersionFromEnd) == kTableFormatVersion);
  CHECK(kTableFormatVersion == 1);
  CHECK(contents.substr(contents.size() - 8) == "FIRNSST1");
  CHECK(Footer::kEncodedLength == 64);
}

TEST_CASE("VerifyChecksumsFindsAFlippedDataBlockBit") {
  const std::string good = Build(TableOptions(), MakeModel(3000, 24));
  std::unique_ptr<Table> table;
  REQUIRE(OpenTable(good, &table).ok());
  CHECK(table->VerifyChecksums().ok());
  std::string bad = good;
  bad[10] ^= 0x04;  // inside the first data block
  REQUIRE(OpenTable(bad, &table).ok());  // index and filter are intact
  Status s = table->VerifyChecksums();
  CHECK(s.IsCorruption());
  CHECK(NamesFileAndOffset(s));
  CHECK(std::string(s.message()).find("at offset 0") != std::string::npos);
}

// The data-block read path (iterators and Get, through the block cache)
// reads into a stack buffer for ordinary block sizes and a heap buffer for
// larger ones, and fills the block without zero-filling it: the checksum
// must be checked on both paths, compressed or not.
TEST_CASE("IteratorAndGetReportADataBlockChecksumMismatch") {
  for (CompressionType c : {CompressionType::kLZ4, CompressionType::kNone}) {
    for (size_t block_bytes : {size_t{4096}, size_t{64 * 1024}}) {
      CAPTURE(static_cast<int>(c));
      CAPTURE(block_bytes);
      TableOptions options;
      options.compression = c;
      options.block_bytes = block_bytes;
      const Model m = MakeModel(3000, 25);
      const std::string good = Build(options, m);
      std::string bad = good;
      bad[20] ^= 0x10;  // inside the first data block's stored bytes
      BlockCache cache(1 << 20);
      std::unique_ptr<Table> table;
      REQUIRE(OpenTable(bad, &table, &cache).ok());  // index and filter are intact

      std::unique_ptr<Iterator> it(table->NewIterator(ReadOptions()));
      it->SeekToFirst();
      CHECK_FALSE(it->Valid());
      CHECK(it->status().IsCorruption());
      CHECK(std::string(it->status().message()).find("block checksum mismatch at offset 0") !=
            std::string::npos);
      it->Seek(m[1].ikey);
      CHECK_FALSE(it->Valid());

      bool found = false;
      ValueType type = kTypeValue;
      std::string value;
      Status s = table->Get(ReadOptions(), ExtractUserKey(m[0].ikey), kMaxSequenceNumber,
                            &found, &type, &value, nullptr);
      CHECK(s.IsCorruption());
      CHECK(NamesFileAndOffset(s));
      CHECK(cache.usage() == 0);  // a damaged block is never cached

      // The undamaged table reads back fully on the same path.
      REQUIRE(OpenTable(good, &table, &cache).ok());
      CheckIterationBothWays(*table, m);
    }
  }
}

TEST_CASE("SharedIteratorKeepsItsTableAlive") {
  const Model m = MakeModel(2000, 26);
  std::unique_ptr<Table> opened;
  REQUIRE(OpenTable(Build(TableOptions(), m), &opened).ok());
  std::shared_ptr<const Table> table(std::move(opened));
  std::weak_ptr<const Table> weak = table;
  std::unique_ptr<Iterator> it(Table::NewIterator(std::move(table), ReadOptions()));
  CHECK_FALSE(weak.expired());  // held by the iterator alone
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    REQUIRE(i < m.size());
    REQUIRE(it->key() == m[i].ikey);
  }
  CHECK(it->status().ok());
  CHECK(i == m.size());
  it.reset();
  CHECK(weak.expired());
}

}  // namespace
}  // namespace firn
