// util/arena.h: a bump allocator for memtable entries.
//
// Invariants: memory handed out stays valid and unmoved until the Arena is
// destroyed; nothing is freed individually. MemoryUsage() counts every
// block obtained from the allocator, so the memtable's RAM bound is honest.
// Thread safety: Allocate* must be externally synchronized (the memtable has
// one writer at a time); MemoryUsage may be read from any thread.
#ifndef FIRN_UTIL_ARENA_H_
#define FIRN_UTIL_ARENA_H_

#include <atomic>
#include <cstddef>
#include <vector>

namespace firn {

class Arena {
 public:
  Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Returns bytes of uninitialized memory. REQUIRES: bytes > 0.
  char* Allocate(size_t bytes);
  // As Allocate, aligned to alignof(std::max_align_t) at most 8 bytes.
  char* AllocateAligned(size_t bytes);

  // Total bytes of blocks held (approximate, includes per-block overhead).
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 16384;
  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t block_bytes);

  char* alloc_ptr_ = nullptr;
  size_t alloc_bytes_remaining_ = 0;
  std::vector<char*> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

inline char* Arena::Allocate(size_t bytes) {
  if (bytes <= alloc_bytes_remaining_) {
    char* result = alloc_ptr_;
    alloc_ptr_ += bytes;
    alloc_bytes_remaining_ -= bytes;
    return result;
  }
  return AllocateFallback(bytes);
}

}  // namespace firn

#endif  // FIRN_UTIL_ARENA_H_
