// What the generated N-API glue (native/generated/glue.cc) is made of: readers of one argument each, which throw
// a JS TypeError or RangeError naming the kernel and argument instead of letting a kernel touch memory out of
// bounds, and the helpers that the table's rules call (len, prod, extent).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernel_types.h"

namespace attn {
namespace glue {

[[noreturn]] void type_error(const Napi::Env& env, const char* kernel, const char* name, const std::string& what);
[[noreturn]] void range_error(const Napi::Env& env, const char* kernel, const char* name, const std::string& what);

struct ArrayRef {
  void* data;
  long length;
  Dtype dtype;
};

// A Float32Array, Int32Array or Uint8Array of dtype `want` (any of the three for Dtype::Any); null or undefined
// give {nullptr, 0} when `nullable`.
ArrayRef read_array(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, Dtype want,
                    bool nullable);
// A non-negative integer below 2^31 (sizes of typed arrays are far below; products are formed in long).
long read_count(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name);
long read_int(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name);
double read_number(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name);
// `optional`: undefined reads as false.
bool read_boolean(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, bool optional);
std::vector<long> read_ints(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name);
// An enum's index in [0, count), as the TypeScript forwarder passes it.
int read_enum(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, int count);
// n non-negative strides into s; false (s untouched) when the argument is null or undefined.
bool read_layout(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, long* s, int n);

// A present array (data not null) must hold at least `need` elements.
void need(const Napi::Env& env, const char* kernel, const char* name, const void* data, long length, long need);
// A strided walk over shape from offset must stay inside [0, length).
void check_walk(const Napi::Env& env, const char* kernel, const char* name, long length, long offset,
                const std::vector<long>& strides, const std::vector<long>& shape);
// The first `count` indices lie in [0, bound), or equal `except` when has_except.
void check_index(const Napi::Env& env, const char* kernel, const char* name, const int32_t* index, long count,
                 long bound, bool has_except, long except);

long prod(const std::vector<long>& xs);
long extent(const Strides3& s, long batch, long heads, long t, long features);

}  // namespace glue
}  // namespace attn
