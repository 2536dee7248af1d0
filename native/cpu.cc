#include "cpu.h"

#include <atomic>
#include <cstdlib>

namespace attn {
namespace {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool env_no_simd() {
  const char* off = std::getenv("ATTN_NO_SIMD");
  return off != nullptr && off[0] != '\0' && off[0] != '0';
}

// Function-local statics: initialised on first use, whatever the order of the addon's static initialisers.
bool cpu_ok() {
  static const bool value = cpu_has_avx2_fma();
  return value;
}

bool env_off() {
  static const bool value = env_no_simd();
  return value;
}

std::atomic<bool> forced{false};

}  // namespace

bool has_avx2_fma() { return cpu_ok() && !env_off() && !forced.load(std::memory_order_relaxed); }

void set_portable_only(bool portable) { forced.store(portable, std::memory_order_relaxed); }

const char* portable_reason() {
  if (!cpu_ok()) return "cpu";
  if (env_off()) return "ATTN_NO_SIMD";
  if (forced.load(std::memory_order_relaxed)) return "forced";
  return "";
}

}  // namespace attn
