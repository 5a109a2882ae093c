// util/shards.h: how many shards a sharded cache gets.
#ifndef FIRN_UTIL_SHARDS_H_
#define FIRN_UTIL_SHARDS_H_

#include <cstddef>

namespace firn {

// A power of two: the most shards, up to max_shards, that each hold at
// least min_per_shard of `capacity` (bytes or entries); 1 for a capacity
// below two shards' worth, so a small cache keeps one exact LRU order.
constexpr size_t ShardCount(size_t capacity, size_t min_per_shard, size_t max_shards) {
  size_t n = 1;
  while (n < max_shards && capacity / (2 * n) >= min_per_shard) n *= 2;
  return n;
}

}  // namespace firn

#endif  // FIRN_UTIL_SHARDS_H_
