// Tests of sst/bloom.h: no false negatives, the false-positive rate, the
// block encodings (cache-local, and the classic one files written before
// 2026-12-08 hold), and unusual keys.
#include <doctest/doctest.h>

#include <algorithm>
#include <bitset>
#include <string>
#include <vector>

#include "sst/bloom.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn {
namespace {

std::string Key(uint32_t i) {
  std::string k;
  PutFixed32(&k, i);
  return k;
}

std::string BuildFilter(const std::vector<std::string>& keys, int bits_per_key) {
  BloomFilterBuilder builder(bits_per_key);
  for (const auto& k : keys) builder.AddKey(k);
  return builder.Finish();
}

TEST_CASE("BloomHasNoFalseNegatives") {
  for (uint32_t n : {1u, 7u, 100u, 1000u, 10000u}) {
    CAPTURE(n);
    std::vector<std::string> keys;
    for (uint32_t i = 0; i < n; i++) keys.push_back(Key(i));
    const std::string filter = BuildFilter(keys, 10);
    int missing = 0;
    for (const auto& k : keys) missing += BloomFilterMayMatch(filter, k) ? 0 : 1;
    CHECK(missing == 0);
  }
}

TEST_CASE("BloomFalsePositiveRateUnderTwoPercentAtTenBitsPerKey") {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 10000; i++) keys.push_back(Key(i));
  const std::string filter = BuildFilter(keys, 10);
  int false_positives = 0;
  const int probes = 10000;
  for (uint32_t i = 0; i < probes; i++) {
    false_positives += BloomFilterMayMatch(filter, Key(1000000000u + i)) ? 1 : 0;
  }
  const double rate = static_cast<double>(false_positives) / probes;
  CAPTURE(rate);
  CHECK(rate < 0.02);
  CHECK(false_positives > 0);  // an all-ones filter would pass the above
}

TEST_CASE("BloomFilterSizeAndProbeCountFollowBitsPerKey") {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 1000; i++) keys.push_back(Key(i));
  std::string f = BuildFilter(keys, 10);
  // 10,000 bits round up to 20 lines of 512 bits; the tag is 0x80 | k.
  CHECK(f.size() == 20 * 64 + 1);
  CHECK(static_cast<uint8_t>(f.back()) == (0x80 | 6));  // k = 10 * 0.69
  CHECK(static_cast<uint8_t>(BuildFilter(keys, 1).back()) == (0x80 | 1));
  CHECK(static_cast<uint8_t>(BuildFilter(keys, 2).back()) == (0x80 | 1));
  CHECK(static_cast<uint8_t>(BuildFilter(keys, 100).back()) == (0x80 | 30));
  // A few keys still get one whole line.
  CHECK(BuildFilter({"a"}, 10).size() == 64 + 1);
}

// Each key sets its k bits inside one 64-byte line, so a probe reads one
// cache line (the reader aligns the filter, sst/table.cc).
TEST_CASE("BloomSetsEveryBitOfAKeyInOneLine") {
  for (uint32_t i = 0; i < 50; i++) {
    CAPTURE(i);
    // One key at 5,000 bits: 10 lines, k = 30.
    const std::string f = BuildFilter({Key(i)}, 5000);
    REQUIRE(f.size() == 10 * 64 + 1);
    int lines_used = 0;
    size_t bits_set = 0;
    for (size_t line = 0; line < 10; line++) {
      size_t in_line = 0;
      for (size_t b = line * 64; b < (line + 1) * 64; b++) {
        in_line += std::bitset<8>(static_cast<uint8_t>(f[b])).count();
      }
      lines_used += in_line > 0 ? 1 : 0;
      bits_set += in_line;
    }
    CHECK(lines_used == 1);
    CHECK(bits_set >= 20);  // 30 probes of 512 bits rarely collide much
    CHECK(bits_set <= 30);
    CHECK(BloomFilterMayMatch(f, Key(i)));
  }
}

// The classic encoding, built here from docs/format-sst.md alone: m bits
// (at least 64, whole bytes), then k; probe i tests bit (h1 + i*h2) mod m.
std::string ClassicFilter(const std::vector<std::string>& keys, int bits_per_key, int k) {
  const uint64_t bits = std::max<uint64_t>(64, keys.size() * static_cast<uint64_t>(bits_per_key));
  const uint64_t bytes = (bits + 7) / 8;
  std::string f(bytes, '\0');
  for (const auto& key : keys) {
    const uint64_t h = Hash64(key);
    for (int i = 0; i < k; i++) {
      const uint64_t bit = ((h & 0xffffffffu) + static_cast<uint64_t>(i) * (h >> 32)) % (bytes * 8);
      f[bit / 8] = static_cast<char>(f[bit / 8] | (1 << (bit % 8)));
    }
  }
  f.push_back(static_cast<char>(k));
  return f;
}

TEST_CASE("BloomStillReadsTheClassicEncodingOfOlderFiles") {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 3000; i++) keys.push_back(Key(i));
  const std::string f = ClassicFilter(keys, 10, 6);
  for (const auto& k : keys) CHECK(BloomFilterMayMatch(f, k));
  int false_positives = 0;
  for (uint32_t i = 0; i < 10000; i++) {
    false_positives += BloomFilterMayMatch(f, Key(2000000000u + i)) ? 1 : 0;
  }
  CAPTURE(false_positives);
  CHECK(false_positives < 200);
  CHECK(false_positives > 0);
}

TEST_CASE("BloomMatchesKeysOfEveryLength") {
  std::vector<std::string> keys;
  for (size_t len = 0; len <= 300; len++) keys.push_back(std::string(len, 'k'));
  const std::string filter = BuildFilter(keys, 10);
  for (const auto& k : keys) CHECK(BloomFilterMayMatch(filter, k));
  // Longer keys are distinguished from the stored prefixes.
  int false_positives = 0;
  for (size_t len = 301; len < 1301; len++) {
    false_positives += BloomFilterMayMatch(filter, std::string(len, 'k')) ? 1 : 0;
  }
  CHECK(false_positives < 30);
}

TEST_CASE("BloomHandlesTheEmptyKeyAndNulBytes") {
  const std::vector<std::string> keys = {std::string(), std::string(1, '\0'),
                                         std::string("a\0b", 3)};
  const std::string filter = BuildFilter(keys, 10);
  for (const auto& k : keys) CHECK(BloomFilterMayMatch(filter, k));

  std::vector<std::string> others;
  for (uint32_t i = 0; i < 1000; i++) others.push_back(Key(i));
  CHECK_FALSE(BloomFilterMayMatch(BuildFilter(others, 10), std::string()));
  others.push_back(std::string());
  CHECK(BloomFilterMayMatch(BuildFilter(others, 10), std::string()));
}

TEST_CASE("BloomFilterOfNoKeysMatchesNothing") {
  const std::string filter = BuildFilter({}, 10);
  for (uint32_t i = 0; i < 100; i++) CHECK_FALSE(BloomFilterMayMatch(filter, Key(i)));
}

TEST_CASE("BloomWithUnknownProbeCountOrTooShortMatchesEverything") {
  std::string filter = BuildFilter({"x"}, 10);
  for (int tag : {0x80 | (kBloomMaxProbes + 1), 0x80, kBloomMaxProbes + 1, 0, 0xff}) {
    CAPTURE(tag);
    filter.back() = static_cast<char>(tag);
    CHECK(BloomFilterMayMatch(filter, "absent"));
    BloomFilterPrefetch(filter, BloomHash("absent"));
  }
  CHECK(BloomFilterMayMatch(std::string(1, '\x06'), "absent"));
  CHECK(BloomFilterMayMatch("", "absent"));
  // A cache-local filter whose bits are not whole lines is no filter either.
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 100; i++) keys.push_back(Key(i));
  std::string f = BuildFilter(keys, 10);
  int absent_before = 0;
  for (uint32_t i = 0; i < 100; i++) absent_before += BloomFilterMayMatch(f, Key(5000 + i)) ? 0 : 1;
  CHECK(absent_before > 50);
  f.insert(f.begin(), '\0');
  for (uint32_t i = 0; i < 100; i++) CHECK(BloomFilterMayMatch(f, Key(5000 + i)));
}

TEST_CASE("BloomBuilderForgetsKeysAfterFinish") {
  BloomFilterBuilder builder(10);
  for (uint32_t i = 0; i < 500; i++) builder.AddKey(Key(i));
  CHECK(builder.NumKeys() == 500);
  CHECK(builder.EstimatedSize() == 10 * 64 + 1);  // 5,000 bits: 10 lines
  builder.Finish();
  CHECK(builder.NumKeys() == 0);
  const std::string second = builder.Finish();
  int matches = 0;
  for (uint32_t i = 0; i < 500; i++) matches += BloomFilterMayMatch(second, Key(i)) ? 1 : 0;
  CHECK(matches == 0);
}

}  // namespace
}  // namespace firn
