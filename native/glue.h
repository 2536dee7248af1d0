// What the generated N-API glue (native/generated/glue.cc) is made of: a Reader of one call's arguments, whose
// reads and checks throw a JS TypeError or RangeError naming the kernel and argument instead of letting a kernel
// touch memory out of bounds, and the helper extent that the table's rules call (prod is in kernel_types.h).
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_types.h"

namespace attn {
namespace glue {

inline long extent(const Strides3& s, long batch, long heads, long t, long features) {
  if (batch == 0 || heads == 0 || t == 0 || features == 0) return 0;
  return (batch - 1) * s.batch + (heads - 1) * s.head + (t - 1) * s.row + features;
}

// The arguments of one call of `kernel`, read by position. Messages are built on the error path only: a call
// that passes allocates nothing.
struct Reader {
  const Napi::CallbackInfo& info;
  const char* kernel;

  [[noreturn]] void fail(bool range, const char* name, const std::string& what) const {
    const std::string m = std::string("attn native ") + kernel + ": " + (name ? std::string(name) + " " : "") + what;
    if (range) throw Napi::RangeError::New(info.Env(), m);
    throw Napi::TypeError::New(info.Env(), m);
  }
  bool absent(size_t i) const { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

  // A Float32Array, Int32Array or Uint8Array of dtype `want` (any of the three for Dtype::Any, its dtype then
  // stored in *dtype); null or undefined give {nullptr, 0} when `nullable`.
  template <typename T>
  void array(size_t i, const char* name, Dtype want, bool nullable, T*& data, long& length,
             Dtype* dtype = nullptr) const {
    static const char* const names[] = {"a Float32Array", "an Int32Array", "a Uint8Array",
                                        "a Float32Array, Int32Array or Uint8Array"};
    data = nullptr, length = 0;
    if (dtype) *dtype = want;
    if (nullable && absent(i)) return;
    Dtype got = Dtype::Any;
    Napi::TypedArray t;
    if (i < info.Length() && info[i].IsTypedArray()) {
      t = info[i].As<Napi::TypedArray>();
      const napi_typedarray_type type = t.TypedArrayType();
      if (type == napi_float32_array) got = Dtype::F32;
      if (type == napi_int32_array) got = Dtype::I32;
      if (type == napi_uint8_array) got = Dtype::U8;
    }
    if (got == Dtype::Any || (want != Dtype::Any && got != want))
      fail(false, name,
           std::string("must be ") + names[static_cast<int>(want)] + (nullable ? " or null" : "") +
               (got == Dtype::Any ? "" : std::string(", got ") + names[static_cast<int>(got)]));
    // An empty array may have no storage (a null Data()), but it is present: need() and the kernels tell a
    // left-out array by its null pointer, so it points at a dummy instead.
    static uint64_t empty;
    uint8_t* p = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
    data = static_cast<T*>(t.ElementLength() ? static_cast<void*>(p) : &empty);
    length = static_cast<long>(t.ElementLength());
    if (dtype) *dtype = got;
  }

  double number(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(false, name, "must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  }
  // Integers are below 2^31 in magnitude (sizes of typed arrays are far below; products are formed in long).
  long whole(double v, const char* name, const char* what) const {
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0) fail(true, name, what);
    return static_cast<long>(v);
  }
  long integer(size_t i, const char* name) const { return whole(number(i, name), name, "must be an integer"); }
  long count(size_t i, const char* name) const {
    const double v = number(i, name);
    if (!(v >= 0) || v != std::floor(v) || v > 2147483647.0)
      fail(true, name, "must be a non-negative integer, got " + std::to_string(v));
    return static_cast<long>(v);
  }
  // `optional`: undefined reads as false.
  bool boolean(size_t i, const char* name, bool optional) const {
    if (optional && (i >= info.Length() || info[i].IsUndefined())) return false;
    if (i >= info.Length() || !info[i].IsBoolean()) fail(false, name, "must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
  }
  std::vector<long> ints(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsArray()) fail(false, name, "must be an array");
    const Napi::Array a = info[i].As<Napi::Array>();
    std::vector<long> out(a.Length());
    for (uint32_t j = 0; j < a.Length(); j++) {
      const Napi::Value v = a.Get(j);
      if (!v.IsNumber()) fail(false, name, "must hold numbers");
      out[j] = whole(v.As<Napi::Number>().DoubleValue(), name, "must hold integers");
    }
    return out;
  }
  // An enum's index in [0, count), as the TypeScript forwarder passes it.
  int choice(size_t i, const char* name, int count) const {
    const double v = i < info.Length() && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 0 && v < count) || v != std::floor(v)) fail(true, name, "is unknown");
    return static_cast<int>(v);
  }
  // n non-negative strides into s; false (s untouched) when the argument is null or undefined.
  bool layout(size_t i, const char* name, long* s, int n) const {
    if (absent(i)) return false;
    const std::vector<long> st = ints(i, name);
    if (static_cast<int>(st.size()) != n) fail(true, name, "has the wrong number of strides");
    for (int j = 0; j < n; j++)
      if ((s[j] = st[j]) < 0) fail(true, name, "must hold strides ≥ 0");
    return true;
  }

  // A present array (data not null) must hold at least `need` elements.
  void need(const char* name, const void* data, long length, long need) const {
    if (data && length < need)
      fail(true, name, "has " + std::to_string(length) + " elements, needs " + std::to_string(need));
  }
  // A strided walk over shape from offset must stay inside [0, length).
  void walk(const char* name, long length, long offset, const std::vector<long>& strides,
            const std::vector<long>& shape) const {
    if (strides.size() != shape.size()) fail(true, name, "strides do not match the shape's rank");
    long lo = offset, hi = offset;
    for (size_t d = 0; d < shape.size(); d++) {
      if (shape[d] < 0) fail(true, "shape", "must hold sizes ≥ 0");
      (strides[d] > 0 ? hi : lo) += (shape[d] - 1) * strides[d];
    }
    if (prod(shape) != 0 && (lo < 0 || hi >= length)) fail(true, name, "is too short for the strided walk");
  }
  // The first `count` indices lie in [0, bound), or equal `except` when has_except.
  void index(const char* name, const int32_t* index, long count, long bound, bool has_except, long except) const {
    for (long i = 0; i < count; i++)
      if (!(has_except && index[i] == except) && (index[i] < 0 || index[i] >= bound))
        fail(true, name, "holds an index out of range");
  }
};

}  // namespace glue
}  // namespace attn
