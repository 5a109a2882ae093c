// port/alloc.cc: see alloc.h.
#include "port/alloc.h"

#include <cstdio>
#include <cstdlib>

#ifdef FIRN_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

namespace firn::port {

void* Malloc(size_t bytes) {
#ifdef FIRN_HAVE_MIMALLOC
  void* p = mi_malloc(bytes);
#else
  void* p = std::malloc(bytes);
#endif
  if (p == nullptr && bytes != 0) {
    std::fprintf(stderr, "firn: out of memory allocating %zu bytes\n", bytes);
    std::abort();
  }
  return p;
}

void Free(void* p) {
#ifdef FIRN_HAVE_MIMALLOC
  mi_free(p);
#else
  std::free(p);
#endif
}

const char* AllocatorName() {
#ifdef FIRN_HAVE_MIMALLOC
  return "mimalloc";
#else
  return "libc";
#endif
}

}  // namespace firn::port
