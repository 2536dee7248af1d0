// Every tensor's storage is a JavaScript ArrayBuffer, which Node allocates with calloc and frees only when the
// garbage collector finds it dead, often several at once. With glibc's defaults, freed blocks at the top of the
// heap beyond 2× the mmap threshold are returned to the kernel, so the next tensors of the same size come back
// as fresh pages, each taking a page fault on first write: about 2 µs per 4 KiB page on a small VM, i.e. 2 ms
// for a 4 MiB result that a 1024³ product computes in 15 ms. glibc raises both thresholds by itself as large
// blocks are freed (the mmap threshold up to 32 MiB); this sets them there from the start and lets up to
// 128 MiB of freed memory wait at the top of the heap for the next tensors. A process that sets any
// glibc.malloc tunable keeps its own settings.
#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace attn {

void tune_allocator() {
#if defined(__GLIBC__)
  // Once per process, although every worker thread that loads the addon asks.
  static std::once_flag once;
  std::call_once(once, [] {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return;
    // Setting either parameter turns off glibc's dynamic adjustment of both, so both are set.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
  });
#endif
}

}  // namespace attn
