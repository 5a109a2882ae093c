// util/hash.h: the one hash family firn uses, XXH3 from libxxhash, for
// every checksum (WAL records, SST blocks, manifest records, model files)
// and for bloom filter probes.
#ifndef FIRN_UTIL_HASH_H_
#define FIRN_UTIL_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace firn {

// XXH3 64-bit hash of [data, data+n) with the given seed.
uint64_t Hash64(const void* data, size_t n, uint64_t seed = 0);
inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) {
  return Hash64(s.data(), s.size(), seed);
}

// The 32-bit checksum stored in formats: the low 32 bits of XXH3-64.
inline uint32_t Checksum32(const void* data, size_t n) {
  return static_cast<uint32_t>(Hash64(data, n));
}
inline uint32_t Checksum32(std::string_view s) { return Checksum32(s.data(), s.size()); }

// Checksum of the concatenation a||b without copying (streaming XXH3).
uint32_t Checksum32(std::string_view a, std::string_view b);

}  // namespace firn

#endif  // FIRN_UTIL_HASH_H_
