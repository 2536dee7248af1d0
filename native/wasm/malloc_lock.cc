// wasi-libc's allocator (dlmalloc, built without locks) made safe for the threaded module's workers, whose
// kernels grow thread_local scratch vectors: scripts/build-wasm.mjs links with --wrap for each entry point below,
// so every call from outside the allocator goes through one lock. A call the allocator makes to itself (realloc
// calling malloc) may be wrapped too; the per-thread depth lets it through instead of deadlocking.
#include <atomic>
#include <cstddef>

extern "C" {
void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);
}

namespace {

std::atomic<int> held{0};
thread_local int depth = 0;

struct Locked {
  Locked() {
    if (depth++ == 0)
      while (held.exchange(1, std::memory_order_acquire) != 0) {
      }
  }
  ~Locked() {
    if (--depth == 0) held.store(0, std::memory_order_release);
  }
};

}  // namespace

extern "C" {
void* __wrap_malloc(size_t n) {
  Locked l;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  Locked l;
  __real_free(p);
}
void* __wrap_calloc(size_t count, size_t n) {
  Locked l;
  return __real_calloc(count, n);
}
void* __wrap_realloc(void* p, size_t n) {
  Locked l;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t align, size_t n) {
  Locked l;
  return __real_aligned_alloc(align, n);
}
int __wrap_posix_memalign(void** out, size_t align, size_t n) {
  Locked l;
  return __real_posix_memalign(out, align, n);
}
}
