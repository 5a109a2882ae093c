// Tests of sst/bloom.h: no false negatives, the false-positive rate, the
// block encoding, and unusual keys.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sst/bloom.h"
#include "util/coding.h"

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
  CHECK(f.size() == 1000 * 10 / 8 + 1);
  CHECK(static_cast<int>(f.back()) == 6);  // 10 * 0.69
  CHECK(static_cast<int>(BuildFilter(keys, 1).back()) == 1);
  CHECK(static_cast<int>(BuildFilter(keys, 2).back()) == 1);
  CHECK(static_cast<int>(BuildFilter(keys, 100).back()) == 30);
  // A few keys still get the 64-bit minimum.
  CHECK(BuildFilter({"a"}, 10).size() == 8 + 1);
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
  filter.back() = static_cast<char>(kBloomMaxProbes + 1);
  CHECK(BloomFilterMayMatch(filter, "absent"));
  filter.back() = 0;
  CHECK(BloomFilterMayMatch(filter, "absent"));
  CHECK(BloomFilterMayMatch(std::string(1, '\x06'), "absent"));
  CHECK(BloomFilterMayMatch("", "absent"));
}

TEST_CASE("BloomBuilderForgetsKeysAfterFinish") {
  BloomFilterBuilder builder(10);
  for (uint32_t i = 0; i < 500; i++) builder.AddKey(Key(i));
  CHECK(builder.NumKeys() == 500);
  CHECK(builder.EstimatedSize() == 500 * 10 / 8 + 1);
  builder.Finish();
  CHECK(builder.NumKeys() == 0);
  const std::string second = builder.Finish();
  int matches = 0;
  for (uint32_t i = 0; i < 500; i++) matches += BloomFilterMayMatch(second, Key(i)) ? 1 : 0;
  CHECK(matches == 0);
}

}  // namespace
}  // namespace firn
