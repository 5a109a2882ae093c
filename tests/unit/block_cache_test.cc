// Tests of sst/block_cache.h: hits, the byte bound, LRU eviction order,
// EraseFile, pinned blocks and concurrent use.
#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sst/block_cache.h"
#include "util/random.h"

namespace firn {
namespace {

BlockCache::Block MakeBlock(size_t size, char fill) {
  return std::make_shared<const std::string>(size, fill);
}

// The charge of one block of `size` bytes, measured through usage().
size_t ChargeOf(size_t size) {
  BlockCache probe(1 << 20);
  probe.Insert(1, 0, MakeBlock(size, 'p'));
  return probe.usage();
}

TEST_CASE("LookupHitsAfterInsertAndMissesOtherKeys") {
  BlockCache cache(1 << 20);
  auto block = MakeBlock(100, 'a');
  CHECK(cache.Lookup(1, 0) == nullptr);
  cache.Insert(1, 0, block);
  CHECK(cache.Lookup(1, 0) == block);
  CHECK(cache.Lookup(1, 100) == nullptr);
  CHECK(cache.Lookup(2, 0) == nullptr);
  CHECK(cache.capacity() == (1u << 20));
}

TEST_CASE("ChargeIsBlockBytesPlusSmallOverhead") {
  const size_t charge = ChargeOf(1000);
  CHECK(charge >= 1000);
  CHECK(charge <= 1000 + 256);
  CHECK(ChargeOf(5000) - charge == 4000);
}

TEST_CASE("UsageNeverExceedsCapacity") {
  const size_t capacity = 64 * 1024;
  BlockCache cache(capacity);
  Random rnd(17);
  for (int i = 0; i < 2000; i++) {
    cache.Insert(rnd.Uniform(5), rnd.Uniform(100) * 4096, MakeBlock(rnd.Uniform(9000), 'x'));
    REQUIRE(cache.usage() <= capacity);
  }
  CHECK(cache.usage() > capacity / 2);
}

TEST_CASE("EvictsLeastRecentlyUsedBlockFirst") {
  const size_t charge = ChargeOf(1000);
  BlockCache cache(3 * charge);
  cache.Insert(1, 0, MakeBlock(1000, 'a'));
  cache.Insert(1, 1, MakeBlock(1000, 'b'));
  cache.Insert(1, 2, MakeBlock(1000, 'c'));
  CHECK(cache.usage() == 3 * charge);
  REQUIRE(cache.Lookup(1, 0) != nullptr);  // a is now the most recent
  cache.Insert(1, 3, MakeBlock(1000, 'd'));
  CHECK(cache.Lookup(1, 1) == nullptr);  // b was least recent
  CHECK(cache.Lookup(1, 0) != nullptr);
  CHECK(cache.Lookup(1, 2) != nullptr);
  CHECK(cache.Lookup(1, 3) != nullptr);
  // Order now (oldest first): a, c, d... after the lookups: a, c, d.
  cache.Insert(1, 4, MakeBlock(1000, 'e'));
  CHECK(cache.Lookup(1, 0) == nullptr);
  CHECK(cache.Lookup(1, 4) != nullptr);
}

TEST_CASE("InsertingTheSameKeyReplacesTheOldBlock") {
  BlockCache cache(1 << 20);
  cache.Insert(3, 7, MakeBlock(500, 'a'));
  const size_t usage = cache.usage();
  auto newer = MakeBlock(500, 'b');
  cache.Insert(3, 7, newer);
  CHECK(cache.usage() == usage);
  CHECK(cache.Lookup(3, 7) == newer);
}

TEST_CASE("BlockLargerThanCapacityIsNotCached") {
  BlockCache cache(1000);
  cache.Insert(1, 0, MakeBlock(2000, 'a'));
  CHECK(cache.Lookup(1, 0) == nullptr);
  CHECK(cache.usage() == 0);
  BlockCache disabled(0);
  disabled.Insert(1, 0, MakeBlock(1, 'a'));
  CHECK(disabled.Lookup(1, 0) == nullptr);
}

TEST_CASE("EraseFileDropsOnlyThatFilesBlocks") {
  BlockCache cache(1 << 20);
  for (uint64_t file : {4u, 5u, 6u}) {
    for (uint64_t off = 0; off < 10; off++) cache.Insert(file, off * 4096, MakeBlock(100, 'z'));
  }
  const size_t before = cache.usage();
  cache.EraseFile(5);
  for (uint64_t off = 0; off < 10; off++) {
    CHECK(cache.Lookup(5, off * 4096) == nullptr);
    CHECK(cache.Lookup(4, off * 4096) != nullptr);
    CHECK(cache.Lookup(6, off * 4096) != nullptr);
  }
  CHECK(cache.usage() == before / 3 * 2);
  cache.EraseFile(99);  // unknown file: no effect
  CHECK(cache.usage() == before / 3 * 2);
}

TEST_CASE("HeldBlockStaysValidAfterEvictionAndErase") {
  const size_t charge = ChargeOf(1000);
  BlockCache cache(2 * charge);
  cache.Insert(1, 0, MakeBlock(1000, 'h'));
  BlockCache::Block held = cache.Lookup(1, 0);
  REQUIRE(held != nullptr);
  cache.Insert(1, 1, MakeBlock(1000, 'i'));
  cache.Insert(1, 2, MakeBlock(1000, 'j'));
  CHECK(cache.Lookup(1, 0) == nullptr);
  CHECK(held.view() == std::string(1000, 'h'));
  BlockCache::Block held2 = cache.Lookup(1, 2);
  cache.EraseFile(1);
  CHECK(cache.usage() == 0);
  CHECK(held2.view() == std::string(1000, 'j'));
}

TEST_CASE("ALargeCacheIsShardedYetBoundedAndErasesAFileFromEveryShard") {
  // 8 MiB: 16 shards of 512 KiB, each with its own LRU order.
  const size_t capacity = 8 << 20;
  BlockCache cache(capacity);
  const size_t charge = ChargeOf(4096);
  for (uint64_t n = 0; n < 6000; n++) {
    cache.Insert(n % 10, (n / 10) * 4096, MakeBlock(4096, 'x'));
    REQUIRE(cache.usage() <= capacity);
  }
  // Every shard fills: the cache holds nearly its capacity, not one shard's.
  CHECK(cache.usage() > capacity - 16 * charge);
  // The blocks inserted last are all cached, whatever shard they hashed to.
  for (uint64_t n = 5900; n < 6000; n++) CHECK(cache.Lookup(n % 10, (n / 10) * 4096) != nullptr);
  const size_t before = cache.usage();
  cache.EraseFile(3);
  for (uint64_t n = 3; n < 6000; n += 10) REQUIRE(cache.Lookup(3, (n / 10) * 4096) == nullptr);
  CHECK(cache.usage() < before - before / 20);
  CHECK(cache.Lookup(4, 599 * 4096) != nullptr);
  CHECK(cache.capacity() == capacity);
}

TEST_CASE("ShardsKeepTheirOwnLeastRecentlyUsedOrder") {
  // A block looked up often survives a stream of new blocks on a sharded
  // cache too: eviction is by recency within its shard.
  BlockCache cache(4 << 20);
  auto hot = MakeBlock(4096, 'h');
  cache.Insert(1, 0, hot);
  for (uint64_t n = 1; n < 20000; n++) {
    cache.Insert(2, n * 4096, MakeBlock(4096, 'c'));
    REQUIRE(cache.Lookup(1, 0) == hot);
  }
}

TEST_CASE("ConcurrentInsertLookupAndEraseKeepUsageBounded") {
  const size_t capacity = 32 * 1024;
  BlockCache cache(capacity);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&cache, t] {
      Random rnd(100 + t);
      for (int i = 0; i < 5000; i++) {
        const uint64_t file = rnd.Uniform(4);
        const uint64_t off = rnd.Uniform(64);
        if (rnd.OneIn(50)) {
          cache.EraseFile(file);
        } else if (auto b = cache.Lookup(file, off)) {
          if (b.size() != off * 16) std::abort();  // a block must match its key
        } else {
          cache.Insert(file, off, MakeBlock(off * 16, 'c'));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(cache.usage() <= capacity);
}

}  // namespace
}  // namespace firn
