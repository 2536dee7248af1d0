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

bool cpu_has_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's detection also checks (XGETBV) that the OS saves the zmm registers.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

bool cpu_has_avx512vl() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

bool env_set(const char* name) {
  const char* setting = std::getenv(name);
  return setting != nullptr && setting[0] != '\0' && setting[0] != '0';
}

// Function-local statics: initialised on first use, whatever the order of the addon's static initialisers.
bool cpu_ok() {
  static const bool value = cpu_has_avx2_fma();
  return value;
}

bool cpu_512_ok() {
  static const bool value = cpu_has_avx512f();
  return value;
}

bool env_off() {
  static const bool value = env_set("ATTN_NO_SIMD");
  return value;
}

bool env_512_off() {
  static const bool value = env_set("ATTN_NO_AVX512");
  return value;
}

std::atomic<bool> forced{false};
std::atomic<bool> forced_512_off{false};
// Per thread: each JS thread (the main one, each worker_thread) chooses for itself, and parallel_for carries
// the choice to the pool threads that run its tasks.
thread_local bool invariant = false;

}  // namespace

bool has_avx2_fma() { return cpu_ok() && !env_off() && !forced.load(std::memory_order_relaxed); }

bool has_avx512f() {
  return has_avx2_fma() && cpu_512_ok() && !env_512_off() && !forced_512_off.load(std::memory_order_relaxed);
}

bool has_avx512vl() {
  static const bool vl = cpu_has_avx512vl();
  return vl && has_avx512f();
}

void set_avx512_off(bool off) { forced_512_off.store(off, std::memory_order_relaxed); }

void set_portable_only(bool portable) { forced.store(portable, std::memory_order_relaxed); }

void set_batch_invariant(bool on) { invariant = on; }

bool batch_invariant() { return invariant; }

bool has_simd128() {
#if defined(__wasm_simd128__)
  return !forced.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

const char* portable_reason() {
#if defined(__wasm_simd128__)
  return forced.load(std::memory_order_relaxed) ? "forced" : "";
#endif
  if (!cpu_ok()) return "cpu";
  if (env_off()) return "ATTN_NO_SIMD";
  if (forced.load(std::memory_order_relaxed)) return "forced";
  return "";
}

const char* simd_level() {
#if defined(__wasm_relaxed_simd__)
  if (has_simd128()) return "simd128+relaxed";
#endif
  if (has_simd128()) return "simd128";
  if (has_avx512f()) return "avx512f+avx2+fma";
  return has_avx2_fma() ? "avx2+fma" : "portable";
}

}  // namespace attn
