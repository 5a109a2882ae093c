// sst/bloom.cc: see bloom.h.
#include "sst/bloom.h"

#include <algorithm>
#include <cassert>

#include "util/hash.h"

namespace firn {

namespace {

constexpr uint64_t kMinFilterBits = 64;

int ProbesForBitsPerKey(int bits_per_key) {
  // k = b * ln 2 minimizes the false-positive rate.
  const int k = static_cast<int>(bits_per_key * 0.69);
  return std::clamp(k, 1, kBloomMaxProbes);
}

uint64_t FilterBytes(size_t num_keys, int bits_per_key) {
  uint64_t bits = static_cast<uint64_t>(num_keys) * static_cast<uint64_t>(bits_per_key);
  bits = std::max(bits, kMinFilterBits);
  return (bits + 7) / 8;
}

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(bits_per_key), num_probes_(ProbesForBitsPerKey(bits_per_key)) {
  assert(bits_per_key >= 1);
}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  hashes_.push_back(Hash64(user_key));
}

size_t BloomFilterBuilder::EstimatedSize() const {
  return static_cast<size_t>(FilterBytes(hashes_.size(), bits_per_key_)) + 1;
}

std::string BloomFilterBuilder::Finish() {
  const uint64_t bytes = FilterBytes(hashes_.size(), bits_per_key_);
  const uint64_t bits = bytes * 8;
  std::string filter(static_cast<size_t>(bytes), '\0');
  for (uint64_t h : hashes_) {
    const uint64_t h1 = h & 0xffffffffu;
    const uint64_t h2 = h >> 32;
    for (int i = 0; i < num_probes_; i++) {
      const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
      filter[static_cast<size_t>(bit / 8)] |= static_cast<char>(1 << (bit % 8));
    }
  }
  filter.push_back(static_cast<char>(num_probes_));
  hashes_.clear();
  return filter;
}

bool BloomFilterMayMatch(std::string_view filter, std::string_view user_key) {
  if (filter.size() < 2) return true;
  const int k = static_cast<uint8_t>(filter.back());
  if (k < 1 || k > kBloomMaxProbes) return true;
  const uint64_t bits = static_cast<uint64_t>(filter.size() - 1) * 8;
  const uint64_t h = Hash64(user_key);
  const uint64_t h1 = h & 0xffffffffu;
  const uint64_t h2 = h >> 32;
  for (int i = 0; i < k; i++) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if ((static_cast<uint8_t>(filter[static_cast<size_t>(bit / 8)]) & (1u << (bit % 8))) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace firn
