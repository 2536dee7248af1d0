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

// A Float32Array argument of at least `need` elements.
float* f32(const glue::Reader& in, size_t i, const char* name, long need) {
  float* data;
  long length;
  in.array(i, name, Dtype::F32, false, data, length);
  in.need(name, data, length, need);
  return data;
}

// packedBFloats(k, n): the length of the Float32Array that packB fills for op(B) [k×n].
Napi::Value PackedBFloats(const Napi::CallbackInfo& info) {
  const glue::Reader in{info, "packedBFloats"};
  const int k = static_cast<int>(in.count(0, "k")), n = static_cast<int>(in.count(1, "n"));
  return Napi::Number::New(info.Env(), static_cast<double>(packed_b_floats(k, n)));
}

// packB(b, k, n, transB, packed)
void PackB(const Napi::CallbackInfo& info) {
  const glue::Reader in{info, "packB"};
  const long k = in.count(1, "k"), n = in.count(2, "n");
  const bool tb = in.boolean(3, "transB", false);
  const float* b = f32(in, 0, "b", k * n);
  float* packed = f32(in, 4, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  pack_b_whole(b, static_cast<int>(k), static_cast<int>(n), tb, packed);
}

// matmulPrepacked(a, b, packed, out, m, n, k, transA, transB): matmul with batch 1 and B also given as packB
// packed it (same shape and transB).
void MatmulPrepacked(const Napi::CallbackInfo& info) {
  const glue::Reader in{info, "matmulPrepacked"};
  const long m = in.count(4, "m"), n = in.count(5, "n"), k = in.count(6, "k");
  const bool ta = in.boolean(7, "transA", false), tb = in.boolean(8, "transB", false);
  const float* a = f32(in, 0, "a", m * k);
  const float* b = f32(in, 1, "b", k * n);
  const float* packed = f32(in, 2, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  float* out = f32(in, 3, "out", m * n);
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
  set_portable_only(glue::Reader{info, "setPortableOnly"}.boolean(0, "portable", false));
}

// setAvx512Off(off): forces the AVX2 kernels on an AVX-512 machine (tests of both kernel sets on one machine).
void SetAvx512Off(const Napi::CallbackInfo& info) {
  set_avx512_off(glue::Reader{info, "setAvx512Off"}.boolean(0, "off", false));
}

// setBatchInvariant(on): kernels whose bits for a row do not depend on the rows beside it (cpu.h).
void SetBatchInvariant(const Napi::CallbackInfo& info) {
  set_batch_invariant(glue::Reader{info, "setBatchInvariant"}.boolean(0, "on", false));
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
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

}  // namespace
}  // namespace attn

using attn::InitAddon;
NODE_API_MODULE(attn, InitAddon)
