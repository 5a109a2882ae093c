// port/alloc.h: the allocator for the engine's large buffers (memtable
// arena blocks, cached blocks, compaction buffers). mimalloc when built
// with it (meson option `mimalloc`), the C library's malloc otherwise.
// Thread safety: both functions may be called from any thread.
#ifndef FIRN_PORT_ALLOC_H_
#define FIRN_PORT_ALLOC_H_

#include <cstddef>

namespace firn::port {

// Never returns nullptr: aborts on exhaustion like operator new.
void* Malloc(size_t bytes);
void Free(void* p);
// Name of the allocator in use ("mimalloc" or "libc").
const char* AllocatorName();

}  // namespace firn::port

#endif  // FIRN_PORT_ALLOC_H_
