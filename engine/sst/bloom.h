// sst/bloom.h: the bloom filter over the user keys of one SST file
// (block layout in docs/format-sst.md).
//
// A filter for n keys at b bits per key has m = max(64, n*b) bits rounded
// up to whole bytes, followed by one byte k = clamp(round_down(b * 0.69),
// 1, 30), the number of probes. Probe i of a key sets or tests bit
// (h1 + i*h2) mod m, where h1 and h2 are the low and high 32 bits of the
// key's XXH3-64 (seed 0), computed in 64-bit arithmetic.
// A filter never answers "absent" for a key that was added.
//
// Thread safety: a BloomFilterBuilder is used by one thread;
// BloomFilterMayMatch is a pure function.
#ifndef FIRN_SST_BLOOM_H_
#define FIRN_SST_BLOOM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace firn {

// Largest number of probes a reader accepts; a filter with a larger k byte
// is treated as matching everything (a future encoding).
constexpr int kBloomMaxProbes = 30;

class BloomFilterBuilder {
 public:
  // REQUIRES: bits_per_key >= 1.
  explicit BloomFilterBuilder(int bits_per_key);
  BloomFilterBuilder(const BloomFilterBuilder&) = delete;
  BloomFilterBuilder& operator=(const BloomFilterBuilder&) = delete;

  // Adding the same key twice is allowed (it costs space only).
  void AddKey(std::string_view user_key);
  size_t NumKeys() const { return hashes_.size(); }
  // Bytes Finish would return now.
  size_t EstimatedSize() const;
  // Returns the filter block for every key added and forgets the keys.
  std::string Finish();

 private:
  const int bits_per_key_;
  const int num_probes_;
  std::vector<uint64_t> hashes_;  // XXH3-64 of each added key
};

// False only if user_key was certainly not added to the filter.
bool BloomFilterMayMatch(std::string_view filter, std::string_view user_key);

}  // namespace firn

#endif  // FIRN_SST_BLOOM_H_
