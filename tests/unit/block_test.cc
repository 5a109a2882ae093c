// Tests of sst/block_builder.h and sst/block.h: the entry format, restart
// points, iteration in both directions, Seek, and damaged blocks.
#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "sst/block.h"
#include "sst/block_builder.h"
#include "sst/format.h"
#include "util/coding.h"
#include "util/random.h"

namespace firn {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string UserKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// n entries with even user keys (so odd ones are absent), one version each.
Entries MakeEntries(int n) {
  Entries e;
  for (int i = 0; i < n; i++) {
    e.emplace_back(MakeInternalKey(UserKey(2 * i), 100 + i, kTypeValue),
                   "value" + std::to_string(i) + std::string(i % 7, 'x'));
  }
  return e;
}

std::shared_ptr<const std::string> BuildBlock(const Entries& entries) {
  BlockBuilder builder(kBlockRestartInterval);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  return std::make_shared<const std::string>(std::string(builder.Finish()));
}

void CheckCorruptionStatus(const Iterator& it) {
  CHECK_FALSE(it.Valid());
  CHECK(it.status().IsCorruption());
  const std::string msg(it.status().message());
  CHECK(msg.find("blk.sst") != std::string::npos);
  CHECK(msg.find("offset") != std::string::npos);
}

// Walks the iterator in every way and checks it never claims an entry
// after reporting corruption.
void ExerciseIterator(Iterator* it, const Entries& probes) {
  int steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps < 10000; it->Next(), steps++) {
    CHECK(it->key().size() >= kInternalKeyTagBytes);
  }
  CHECK((it->status().ok() || it->status().IsCorruption()));
  steps = 0;
  for (it->SeekToLast(); it->Valid() && steps < 10000; it->Prev(), steps++) {
  }
  for (const auto& p : probes) {
    it->Seek(p.first);
    if (it->Valid()) {
      it->Next();
      if (it->Valid()) it->Prev();
    }
  }
  if (!it->status().ok()) {
    CHECK(it->status().IsCorruption());
    CHECK_FALSE(it->Valid());
  }
}

TEST_CASE("BlockRoundTripsEntriesForwardAndBackward") {
  for (int n : {1, 2, 15, 16, 17, 33, 200}) {
    CAPTURE(n);
    const Entries entries = MakeEntries(n);
    Block block(BuildBlock(entries));
    REQUIRE(block.well_formed());
    std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      REQUIRE(i < entries.size());
      CHECK(it->key() == entries[i].first);
      CHECK(it->value() == entries[i].second);
    }
    CHECK(i == entries.size());
    CHECK(it->status().ok());
    i = entries.size();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      REQUIRE(i > 0);
      i--;
      CHECK(it->key() == entries[i].first);
      CHECK(it->value() == entries[i].second);
    }
    CHECK(i == 0);
    CHECK(it->status().ok());
  }
}

TEST_CASE("BlockStoresARestartPointEverySixteenEntries") {
  const Entries entries = MakeEntries(40);
  auto contents = BuildBlock(entries);
  const uint32_t num_restarts = DecodeFixed32(contents->data() + contents->size() - 4);
  CHECK(num_restarts == 3);  // entries 0, 16, 32
}

TEST_CASE("BlockPrefixCompressionStoresSharedKeyBytesOnce") {
  const Entries entries = MakeEntries(64);
  BlockBuilder unshared(1);  // every entry a restart: whole keys
  BlockBuilder shared(kBlockRestartInterval);
  for (const auto& [k, v] : entries) {
    unshared.Add(k, v);
    shared.Add(k, v);
  }
  // 60 entries are not restarts: each shares at least "key000" (6 bytes)
  // with its predecessor and needs no restart slot (4 bytes).
  CHECK(shared.Finish().size() + 60 * (6 + 4) <= unshared.Finish().size());
}

TEST_CASE("BlockSeekFindsFirstEntryAtOrAfterTarget") {
  const Entries entries = MakeEntries(100);
  Block block(BuildBlock(entries));
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  for (int i = 0; i < 100; i++) {
    // An existing key.
    it->Seek(entries[i].first);
    REQUIRE(it->Valid());
    CHECK(it->key() == entries[i].first);
    // An absent user key between two entries.
    it->Seek(MakeLookupKey(UserKey(2 * i + 1), kMaxSequenceNumber));
    if (i + 1 < 100) {
      REQUIRE(it->Valid());
      CHECK(it->key() == entries[i + 1].first);
    } else {
      CHECK_FALSE(it->Valid());
    }
    // Same user key, a sequence older than the stored one: sorts after it.
    it->Seek(MakeLookupKey(UserKey(2 * i), 1));
    if (i + 1 < 100) {
      REQUIRE(it->Valid());
      CHECK(it->key() == entries[i + 1].first);
    }
  }
  it->Seek(MakeLookupKey("", kMaxSequenceNumber));
  REQUIRE(it->Valid());
  CHECK(it->key() == entries[0].first);
  CHECK(it->status().ok());
}

TEST_CASE("BlockPrevAndNextCrossRestartPointsAfterSeek") {
  const Entries entries = MakeEntries(100);
  Block block(BuildBlock(entries));
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  for (int i : {15, 16, 17, 31, 32, 33, 48, 99}) {
    it->Seek(entries[i].first);
    REQUIRE(it->Valid());
    it->Prev();
    REQUIRE(it->Valid());
    CHECK(it->key() == entries[i - 1].first);
    it->Next();
    REQUIRE(it->Valid());
    CHECK(it->key() == entries[i].first);
    it->Next();
    if (i + 1 < 100) {
      REQUIRE(it->Valid());
      CHECK(it->key() == entries[i + 1].first);
    } else {
      CHECK_FALSE(it->Valid());
    }
  }
  it->SeekToFirst();
  it->Prev();
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
}

TEST_CASE("EmptyBlockHasNoEntries") {
  Block block(BuildBlock({}));
  CHECK(block.size() == 8);
  REQUIRE(block.well_formed());
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  it->Seek(MakeLookupKey("a", 5));
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
}

TEST_CASE("BuilderResetStartsAFreshBlock") {
  BlockBuilder builder(kBlockRestartInterval);
  builder.Add(MakeInternalKey("zzz", 1, kTypeValue), "old");
  builder.Finish();
  builder.Reset();
  CHECK(builder.empty());
  const Entries entries = MakeEntries(3);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  Block block(std::make_shared<const std::string>(std::string(builder.Finish())));
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  it->SeekToFirst();
  REQUIRE(it->Valid());
  CHECK(it->key() == entries[0].first);
}

TEST_CASE("IteratorKeepsBlockContentsAliveAfterBlockIsDestroyed") {
  const Entries entries = MakeEntries(20);
  std::unique_ptr<Iterator> it;
  {
    Block block(BuildBlock(entries));
    it.reset(block.NewIterator("blk.sst", 0));
  }
  it->SeekToLast();
  REQUIRE(it->Valid());
  CHECK(it->value() == entries.back().second);
}

TEST_CASE("ResetIteratorMatchesAFreshIteratorAndClearsCorruption") {
  // Table iterators reuse one BlockIter across data blocks via Reset.
  const Entries a = MakeEntries(40);
  Entries b;
  for (int i = 0; i < 25; i++) {
    b.emplace_back(MakeInternalKey(UserKey(1000 + i), 7, kTypeValue), "b" + std::to_string(i));
  }
  const Block block_a(BuildBlock(a));
  const Block block_b(BuildBlock(b));
  const Block bad(std::make_shared<const std::string>("ab"));
  BlockIter it(block_a, "blk.sst", 0);
  it.SeekToLast();
  REQUIRE(it.Valid());
  it.Reset(block_b, "blk.sst", 8192);
  CHECK_FALSE(it.Valid());  // unpositioned, as if new
  CHECK(it.status().ok());
  Entries got;
  for (it.SeekToFirst(); it.Valid(); it.Next()) got.emplace_back(it.key(), it.value());
  CHECK(got == b);
  it.Seek(b[10].first);
  REQUIRE(it.Valid());
  CHECK(it.key() == b[10].first);

  it.Reset(bad, "blk.sst", 4096);
  CheckCorruptionStatus(it);
  CHECK(std::string(it.status().message()).find("4096") != std::string::npos);
  it.Reset(block_a, "blk.sst", 0);  // a good block again: the error is not sticky
  CHECK(it.status().ok());
  it.SeekToFirst();
  REQUIRE(it.Valid());
  CHECK(it.key() == a[0].first);
}

std::shared_ptr<const std::string> WithFixed32(std::string contents, size_t pos, uint32_t v) {
  EncodeFixed32(contents.data() + pos, v);
  return std::make_shared<const std::string>(std::move(contents));
}

TEST_CASE("CorruptRestartArrayIsCorruptionNotACrash") {
  const Entries entries = MakeEntries(40);
  const std::string good = *BuildBlock(entries);
  const size_t count_pos = good.size() - 4;
  const size_t restarts_pos = good.size() - 4 - 3 * 4;
  std::vector<std::shared_ptr<const std::string>> bad = {
      WithFixed32(good, count_pos, 0),                                // no restarts
      WithFixed32(good, count_pos, 0xffffffffu),                      // count too large
      WithFixed32(good, count_pos, static_cast<uint32_t>(good.size())),  // past the block
      WithFixed32(good, restarts_pos, 5),                             // first restart not 0
      WithFixed32(good, restarts_pos + 4, 0xfffffff0u),               // restart past entries
      WithFixed32(good, restarts_pos + 8, 1),                         // restarts decreasing
      std::make_shared<const std::string>("ab"),                      // shorter than a count
      std::make_shared<const std::string>(""),
  };
  for (size_t i = 0; i < bad.size(); i++) {
    CAPTURE(i);
    Block block(bad[i]);
    CHECK_FALSE(block.well_formed());
    std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 4096));
    CheckCorruptionStatus(*it);
    it->SeekToFirst();
    CheckCorruptionStatus(*it);
    it->SeekToLast();
    CheckCorruptionStatus(*it);
    it->Seek(entries[3].first);
    CheckCorruptionStatus(*it);
    CHECK(std::string(it->status().message()).find("4096") != std::string::npos);
  }
}

TEST_CASE("EntryRunningPastTheEntriesIsCorruption") {
  // One entry whose value length claims more bytes than the block holds.
  std::string contents;
  const std::string key = MakeInternalKey("k", 1, kTypeValue);
  PutVarint32(&contents, 0);
  PutVarint32(&contents, static_cast<uint32_t>(key.size()));
  PutVarint32(&contents, 1000);
  contents += key + "short";
  PutFixed32(&contents, 0);
  PutFixed32(&contents, 1);
  Block block(std::make_shared<const std::string>(contents));
  REQUIRE(block.well_formed());
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  it->SeekToFirst();
  CheckCorruptionStatus(*it);
}

TEST_CASE("KeyShorterThanAnInternalKeyTagIsCorruption") {
  BlockBuilder builder(kBlockRestartInterval);
  builder.Add("short", "v");
  Block block(std::make_shared<const std::string>(std::string(builder.Finish())));
  std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
  it->SeekToFirst();
  CheckCorruptionStatus(*it);
}

TEST_CASE("RandomlyDamagedBlocksNeverReadOutOfBounds") {
  // Run under ASan: any read outside the block would be reported.
  const Entries entries = MakeEntries(60);
  const std::string good = *BuildBlock(entries);
  Random rnd(301);
  int corrupted = 0;
  for (int trial = 0; trial < 3000; trial++) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rnd.Uniform(4));
    for (int f = 0; f < flips; f++) {
      bad[rnd.Uniform(bad.size())] ^= static_cast<char>(1 << rnd.Uniform(8));
    }
    if (rnd.OneIn(4)) bad.resize(rnd.Uniform(bad.size() + 1));
    // Copy into an exactly sized heap buffer so ASan sees the bounds.
    Block block(std::make_shared<const std::string>(bad));
    std::unique_ptr<Iterator> it(block.NewIterator("blk.sst", 0));
    ExerciseIterator(it.get(), entries);
    if (!it->status().ok()) corrupted++;
  }
  CHECK(corrupted > 0);
}

}  // namespace
}  // namespace firn
