// sst/bloom.h: the bloom filter over the user keys of one SST file
// (block layout in docs/format-sst.md).
//
// Builders write the cache-local encoding: for n keys at b bits per key,
// L = max(1, ceil(n*b / 512)) lines of 64 bytes, then one tag byte
// 0x80 | k, k = clamp(round_down(b * 0.69), 1, 30) probes. A key (h its
// XXH3-64, seed 0) sets k bits of one line, so a lookup reads one cache
// line when the filter is 64-byte aligned. Readers also accept the
// classic encoding of files written before 2026-12-08 (tag k: probe i is
// bit (h1 + i*h2) mod m of the whole filter).
// A filter never answers "absent" for a key that was added.
//
// Thread safety: a BloomFilterBuilder is used by one thread; the free
// functions are pure.
#ifndef FIRN_SST_BLOOM_H_
#define FIRN_SST_BLOOM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace firn {

// Largest number of probes a reader accepts; a filter whose tag names more,
// or no known encoding, is treated as matching everything.
constexpr int kBloomMaxProbes = 30;

// The cache-local encoding's geometry, shared with the memtable's filter
// (memtable.cc): a key of hash h uses line BloomLineOf(h, lines) of
// kBloomLineBytes, and in it the k bits BloomProbes visits
// (docs/format-sst.md).
constexpr size_t kBloomLineBytes = 64;
inline uint64_t BloomLineOf(uint64_t h, uint64_t lines) {
  return ((h & 0xffffffffu) * lines) >> 32;
}
// Calls visit(bit) (bit in 0..511 of the line) for the k probes of hash h,
// in order: bit x >> 23 for x = h >> 32, then x * 0x9e3779b9 (odd, so a
// permutation of the 32-bit values), and so on. Stops at the first visit
// that returns false, and returns false then; true if every visit did.
template <typename Visit>
inline bool BloomProbes(uint64_t h, int k, Visit&& visit) {
  uint32_t x = static_cast<uint32_t>(h >> 32);
  for (int i = 0; i < k; i++, x *= 0x9e3779b9u) {
    if (!visit(x >> 23)) return false;
  }
  return true;
}

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

// The hash a filter uses for user_key; compute it once per lookup.
uint64_t BloomHash(std::string_view user_key);
// False only if the key of hash h (BloomHash) was certainly not added.
bool BloomFilterMayMatch(std::string_view filter, uint64_t h);
inline bool BloomFilterMayMatch(std::string_view filter, std::string_view user_key) {
  return BloomFilterMayMatch(filter, BloomHash(user_key));
}
// Hints the CPU to load the memory BloomFilterMayMatch(filter, h) will read.
void BloomFilterPrefetch(std::string_view filter, uint64_t h);

}  // namespace firn

#endif  // FIRN_SST_BLOOM_H_
