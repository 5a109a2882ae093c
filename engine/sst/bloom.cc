// sst/bloom.cc: see bloom.h.
#include "sst/bloom.h"

#include <algorithm>
#include <cassert>

#include "util/hash.h"

namespace firn {

namespace {

constexpr uint64_t kLineBytes = kBloomLineBytes;
constexpr uint64_t kLineBits = kLineBytes * 8;
constexpr unsigned kLocalTag = 0x80;

int ProbesForBitsPerKey(int bits_per_key) {
  // k = b * ln 2 minimizes the false-positive rate.
  const int k = static_cast<int>(bits_per_key * 0.69);
  return std::clamp(k, 1, kBloomMaxProbes);
}

uint64_t FilterLines(size_t num_keys, int bits_per_key) {
  const uint64_t bits = static_cast<uint64_t>(num_keys) * static_cast<uint64_t>(bits_per_key);
  return std::max<uint64_t>(1, (bits + kLineBits - 1) / kLineBits);
}

// Classic encoding (written before 2026-12-08; read only).
bool ClassicMayMatch(std::string_view filter, int k, uint64_t h) {
  const uint64_t bits = static_cast<uint64_t>(filter.size() - 1) * 8;
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

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(bits_per_key), num_probes_(ProbesForBitsPerKey(bits_per_key)) {
  assert(bits_per_key >= 1);
}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  hashes_.push_back(BloomHash(user_key));
}

size_t BloomFilterBuilder::EstimatedSize() const {
  return static_cast<size_t>(FilterLines(hashes_.size(), bits_per_key_) * kLineBytes) + 1;
}

std::string BloomFilterBuilder::Finish() {
  const uint64_t lines = FilterLines(hashes_.size(), bits_per_key_);
  std::string filter(static_cast<size_t>(lines * kLineBytes), '\0');
  for (uint64_t h : hashes_) {
    char* line = filter.data() + BloomLineOf(h, lines) * kLineBytes;
    BloomProbes(h, num_probes_, [line](uint32_t bit) {
      line[bit / 8] |= static_cast<char>(1 << (bit % 8));
      return true;
    });
  }
  filter.push_back(static_cast<char>(kLocalTag | static_cast<unsigned>(num_probes_)));
  hashes_.clear();
  return filter;
}

uint64_t BloomHash(std::string_view user_key) { return Hash64(user_key); }

void BloomFilterPrefetch(std::string_view filter, uint64_t h) {
  if (filter.size() < 2 || (static_cast<uint8_t>(filter.back()) & kLocalTag) == 0) return;
  const uint64_t lines = (filter.size() - 1) / kLineBytes;
  if (lines > 0xffffffffu) return;
  __builtin_prefetch(filter.data() + BloomLineOf(h, lines) * kLineBytes);
}

bool BloomFilterMayMatch(std::string_view filter, uint64_t h) {
  if (filter.size() < 2) return true;
  const unsigned tag = static_cast<uint8_t>(filter.back());
  const int k = static_cast<int>(tag & ~kLocalTag);
  if (k < 1 || k > kBloomMaxProbes) return true;
  if ((tag & kLocalTag) == 0) return ClassicMayMatch(filter, k, h);
  const uint64_t lines = (filter.size() - 1) / kLineBytes;
  if (lines * kLineBytes != filter.size() - 1 || lines > 0xffffffffu) return true;
  const uint8_t* line =
      reinterpret_cast<const uint8_t*>(filter.data()) + BloomLineOf(h, lines) * kLineBytes;
  return BloomProbes(h, k, [line](uint32_t bit) { return (line[bit / 8] & (1u << (bit % 8))) != 0; });
}

}  // namespace firn
