#include "cpu.h"

#include <cstdlib>

namespace attn {

static bool detect() {
  const char* off = std::getenv("ATTN_NO_SIMD");
  if (off != nullptr && off[0] != '\0' && off[0] != '0') return false;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool has_avx2_fma() {
  static const bool value = detect();
  return value;
}

}  // namespace attn
