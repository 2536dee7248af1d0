// The N-API surface of the addon. The table kernels' functions are generated from src/backend/kernel-table.ts
// (native/generated/glue.cc, registered by register_kernels); this file holds what the table does not describe:
// the packed matrix product (whose packed buffer is backend-owned) and the addon's introspection and test switches.
// Like the generated glue, it checks every argument it relies on and throws a JS error instead of touching memory
// out of bounds.
#include <napi.h>

#include <string>

#include "cpu.h"
#include "gemm.h"
#include "glue.h"
#include "memory.h"
#include "thread_pool.h"

namespace attn {

void register_kernels(Napi::Env env, Napi::Object exports);

namespace {

using glue::ArrayRef;
using glue::read_array;
using glue::read_boolean;
using glue::read_count;

float* f32(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, long need) {
  ArrayRef a = read_array(info, i, kernel, name, Dtype::F32, false);
  glue::need(info.Env(), kernel, name, a.data, a.length, need);
  return static_cast<float*>(a.data);
}

// packedBFloats(k, n): the length of the Float32Array that packB fills for op(B) [k×n].
Napi::Value PackedBFloats(const Napi::CallbackInfo& info) {
  static const char* const K = "packedBFloats";
  long k = read_count(info, 0, K, "k"), n = read_count(info, 1, K, "n");
  return Napi::Number::New(info.Env(), static_cast<double>(packed_b_floats(static_cast<int>(k), static_cast<int>(n))));
}

// packB(b, k, n, transB, packed)
void PackB(const Napi::CallbackInfo& info) {
  static const char* const K = "packB";
  long k = read_count(info, 1, K, "k"), n = read_count(info, 2, K, "n");
  bool tb = read_boolean(info, 3, K, "transB", false);
  const float* b = f32(info, 0, K, "b", k * n);
  float* packed = f32(info, 4, K, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  pack_b_whole(b, static_cast<int>(k), static_cast<int>(n), tb, packed);
}

// matmulPrepacked(a, b, packed, out, m, n, k, transA, transB): matmul with batch 1 and B also given as packB
// packed it (same shape and transB).
void MatmulPrepacked(const Napi::CallbackInfo& info) {
  static const char* const K = "matmulPrepacked";
  long m = read_count(info, 4, K, "m"), n = read_count(info, 5, K, "n"), k = read_count(info, 6, K, "k");
  bool ta = read_boolean(info, 7, K, "transA", false), tb = read_boolean(info, 8, K, "transB", false);
  const float* a = f32(info, 0, K, "a", m * k);
  const float* b = f32(info, 1, K, "b", k * n);
  const float* packed = f32(info, 2, K, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  float* out = f32(info, 3, K, "out", m * n);
  matmul_prepacked(a, b, packed, out, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ta, tb);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", thread_count());
  o.Set("simd", simd_level());
  o.Set("portableReason", portable_reason());
  return o;
}

// setPortableOnly(portable): forces the portable kernels (tests of the non-AVX2 paths on an AVX2 machine).
void SetPortableOnly(const Napi::CallbackInfo& info) {
  static const char* const K = "setPortableOnly"; set_portable_only(read_boolean(info, 0, K, "portable", false)); }

// setAvx512Off(off): forces the AVX2 kernels on an AVX-512 machine (tests of both kernel sets on one machine).
void SetAvx512Off(const Napi::CallbackInfo& info) {
  static const char* const K = "setAvx512Off"; set_avx512_off(read_boolean(info, 0, K, "off", false)); }

// setBatchInvariant(on): kernels whose bits for a row do not depend on the rows beside it (cpu.h).
void SetBatchInvariant(const Napi::CallbackInfo& info) {
  static const char* const K = "setBatchInvariant"; set_batch_invariant(read_boolean(info, 0, K, "on", false)); }

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tune_allocator();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setPortableOnly", Napi::Function::New(env, SetPortableOnly));
  exports.Set("setAvx512Off", Napi::Function::New(env, SetAvx512Off));
  exports.Set("setBatchInvariant", Napi::Function::New(env, SetBatchInvariant));
  exports.Set("packedBFloats", Napi::Function::New(env, PackedBFloats));
  exports.Set("packB", Napi::Function::New(env, PackB));
  exports.Set("matmulPrepacked", Napi::Function::New(env, MatmulPrepacked));
  register_kernels(env, exports);
  return exports;
}

}  // namespace attn

namespace {
Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return attn::Init(env, exports); }
}  // namespace

NODE_API_MODULE(attn, InitAddon)
