// The WebAssembly module's exports besides the generated kernel entry points (native/generated/wasm_glue.cc): the
// memory the TypeScript forwarder copies each call's arrays into, the error of the last failed check, and the
// addon's introspection, switches and packed product (native/binding.cc's, with addresses in linear memory in
// place of typed arrays; the forwarder checks their lengths before it calls).
#include <cstdlib>
#include <string>

#include "../cpu.h"
#include "../gemm.h"
#include "../thread_pool.h"
#include "glue.h"

#define ATTN_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace attn {
namespace wasm {

int& error_code() {
  static int code = 0;
  return code;
}

std::string& error_message() {
  static std::string message;
  return message;
}

}  // namespace wasm
}  // namespace attn

using namespace attn;

// 16-byte aligned blocks (the alignment of f32x4 loads the forwarder's arena keeps).
ATTN_EXPORT("alloc") void* wasm_alloc(unsigned long bytes) { return std::aligned_alloc(16, (bytes + 15) / 16 * 16); }
ATTN_EXPORT("free") void wasm_free(void* p) { std::free(p); }

// 1 for a TypeError, 2 for a RangeError; the message is error_length() UTF-8 bytes at error_text().
ATTN_EXPORT("errorCode") int wasm_error_code() { return wasm::error_code(); }
ATTN_EXPORT("errorText") const char* wasm_error_text() { return wasm::error_message().data(); }
ATTN_EXPORT("errorLength") unsigned long wasm_error_length() { return wasm::error_message().size(); }

ATTN_EXPORT("threads") int wasm_threads() { return thread_count(); }
ATTN_EXPORT("simd") const char* wasm_simd() { return simd_level(); }
ATTN_EXPORT("portableReason") const char* wasm_portable_reason() { return portable_reason(); }
ATTN_EXPORT("setPortableOnly") void wasm_set_portable_only(int on) { set_portable_only(on != 0); }
ATTN_EXPORT("setBatchInvariant") void wasm_set_batch_invariant(int on) { set_batch_invariant(on != 0); }

ATTN_EXPORT("packedBFloats") long wasm_packed_b_floats(int k, int n) { return packed_b_floats(k, n); }
ATTN_EXPORT("packB") void wasm_pack_b(const float* b, int k, int n, int trans_b, float* packed) {
  pack_b_whole(b, k, n, trans_b != 0, packed);
}
ATTN_EXPORT("prepackedReadsPacked") int wasm_prepacked_reads_packed(int m, int n, int k, int trans_a, int trans_b) {
  return prepacked_reads_packed(m, n, k, trans_a != 0, trans_b != 0) ? 1 : 0;
}
ATTN_EXPORT("matmulPrepacked")
void wasm_matmul_prepacked(const float* a, const float* b, const float* packed, float* c, int m, int n, int k,
                           int trans_a, int trans_b) {
  matmul_prepacked(a, b, packed, c, m, n, k, trans_a != 0, trans_b != 0);
}

// thread_local objects with destructors (the kernels' scratch vectors) register them here; wasi-libc has no
// threads and so no registry. The module's one thread lives as long as the instance, whose memory is dropped
// whole, so there is nothing to run.
extern "C" int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }
