// Tests of util/arena.h.
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "util/arena.h"
#include "util/random.h"

namespace firn {
namespace {

TEST_CASE("Arena: new arena holds no memory") {
  Arena arena;
  CHECK(arena.MemoryUsage() == 0);
}

TEST_CASE("Arena: many random-sized allocations keep their contents") {
  Random rnd(301);
  Arena arena;
  std::vector<std::pair<size_t, char*>> allocated;
  size_t bytes = 0;
  for (int i = 0; i < 20000; i++) {
    size_t n;
    if (i % 1000 == 0) {
      n = 1 + rnd.Uniform(60000);  // larger than a block: its own block
    } else if (i % 100 == 0) {
      n = 1 + rnd.Uniform(6000);
    } else {
      n = 1 + rnd.Uniform(20);
    }
    char* p = rnd.OneIn(10) ? arena.AllocateAligned(n) : arena.Allocate(n);
    // Fill with a pattern that depends on the allocation's index.
    for (size_t b = 0; b < n; b++) p[b] = static_cast<char>((i + b) % 256);
    allocated.emplace_back(n, p);
    bytes += n;
    CHECK(arena.MemoryUsage() >= bytes);
  }
  for (size_t i = 0; i < allocated.size(); i++) {
    const auto [n, p] = allocated[i];
    for (size_t b = 0; b < n; b++) {
      if (p[b] != static_cast<char>((i + b) % 256)) {
        FAIL("allocation " << i << " byte " << b << " was overwritten");
      }
    }
  }
}

TEST_CASE("Arena: AllocateAligned returns 8-byte aligned memory") {
  Arena arena;
  Random rnd(7);
  for (int i = 0; i < 5000; i++) {
    // Misalign the bump pointer, then ask for aligned memory.
    arena.Allocate(1 + rnd.Uniform(7));
    const size_t n = 1 + rnd.Uniform(i % 50 == 0 ? 10000 : 64);
    char* p = arena.AllocateAligned(n);
    CHECK(reinterpret_cast<uintptr_t>(p) % 8 == 0);
  }
}

TEST_CASE("Arena: MemoryUsage grows with allocations") {
  Arena arena;
  arena.Allocate(10);
  const size_t one_block = arena.MemoryUsage();
  CHECK(one_block > 0);
  // Small allocations fill the current block before taking another.
  arena.Allocate(10);
  CHECK(arena.MemoryUsage() == one_block);
  size_t last = one_block;
  for (int i = 0; i < 10; i++) {
    arena.Allocate(100000);
    CHECK(arena.MemoryUsage() >= last + 100000);
    last = arena.MemoryUsage();
  }
}

}  // namespace
}  // namespace firn
