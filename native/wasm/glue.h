// What the generated WebAssembly entry points (native/generated/wasm_glue.cc, written by
// scripts/gen-native-glue.mjs) are made of: a Reader of one call's argument block and the rule helpers. The block
// is an array of doubles that the TypeScript forwarder (src/backend/wasm/addon.ts) fills, field by field in table
// order: an array as its address in linear memory (0 for null), element count and dtype code; an int list or a
// layout as the address and count of doubles holding it (address 0: left out); every other field as one number
// (a boolean as 0 or 1, an enum as its index, an unreadable value as NaN). The forwarder has checked the JS types
// of arrays and lists; the Reader checks everything else that native/glue.h checks, with the same messages, and
// records the first failure (its error class and message) for the forwarder to throw instead of running the
// kernel. There are no C++ exceptions in the WebAssembly build, so each read returns whether it passed.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../kernel_types.h"

namespace attn {
namespace wasm {

// 0: no error; 1: a TypeError; 2: a RangeError. The message is error_message().
int& error_code();
std::string& error_message();

inline long extent(const Strides3& s, long batch, long heads, long t, long features) {
  if (batch == 0 || heads == 0 || t == 0 || features == 0) return 0;
  return (batch - 1) * s.batch + (heads - 1) * s.head + (t - 1) * s.row + features;
}

struct Reader {
  const double* s;
  const char* kernel;

  // Records the failure; returns false so that a read can end with `return in.fail(...)`.
  bool fail(bool range, const char* name, const std::string& what) const {
    error_code() = range ? 2 : 1;
    error_message() = std::string("attn wasm ") + kernel + ": " + (name ? std::string(name) + " " : "") + what;
    return false;
  }

  template <typename T>
  bool array(int i, T*& data, long& length, Dtype* dtype = nullptr) const {
    data = reinterpret_cast<T*>(static_cast<uintptr_t>(s[i]));
    length = static_cast<long>(s[i + 1]);
    if (dtype) *dtype = static_cast<Dtype>(static_cast<int>(s[i + 2]));
    return true;
  }
  bool number(int i, const char* name, double& out) const {
    out = s[i];
    return true;
  }
  // Integers are below 2^31 in magnitude, as in native/glue.h.
  bool whole(double v, const char* name, const char* what, long& out) const {
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0) return fail(true, name, what);
    out = static_cast<long>(v);
    return true;
  }
  bool integer(int i, const char* name, long& out) const {
    if (std::isnan(s[i])) return fail(false, name, "must be a number");
    return whole(s[i], name, "must be an integer", out);
  }
  bool count(int i, const char* name, long& out) const {
    const double v = s[i];
    if (std::isnan(v)) return fail(false, name, "must be a number");
    if (!(v >= 0) || v != std::floor(v) || v > 2147483647.0)
      return fail(true, name, "must be a non-negative integer, got " + std::to_string(v));
    out = static_cast<long>(v);
    return true;
  }
  bool boolean(int i, const char* name, bool& out) const {
    if (std::isnan(s[i])) return fail(false, name, "must be a boolean");
    out = s[i] != 0;
    return true;
  }
  bool ints(int i, const char* name, std::vector<long>& out) const {
    const double* p = reinterpret_cast<const double*>(static_cast<uintptr_t>(s[i]));
    out.resize(static_cast<size_t>(s[i + 1]));
    for (size_t j = 0; j < out.size(); j++)
      if (!whole(p[j], name, "must hold integers", out[j])) return false;
    return true;
  }
  bool choice(int i, const char* name, int count, int& out) const {
    const double v = s[i];
    if (!(v >= 0 && v < count) || v != std::floor(v)) return fail(true, name, "is unknown");
    out = static_cast<int>(v);
    return true;
  }
  // n strides ≥ 0 into st, given = false when the layout is left out.
  bool layout(int i, const char* name, long* st, int n, bool& given) const {
    given = s[i] != 0;
    if (!given) return true;
    std::vector<long> v;
    if (!ints(i, name, v)) return false;
    if (static_cast<int>(v.size()) != n) return fail(true, name, "has the wrong number of strides");
    for (int j = 0; j < n; j++)
      if ((st[j] = v[j]) < 0) return fail(true, name, "must hold strides ≥ 0");
    return true;
  }

  bool need(const char* name, const void* data, long length, long need) const {
    if (data && length < need)
      return fail(true, name, "has " + std::to_string(length) + " elements, needs " + std::to_string(need));
    return true;
  }
  bool walk(const char* name, long length, long offset, const std::vector<long>& strides,
            const std::vector<long>& shape) const {
    if (strides.size() != shape.size()) return fail(true, name, "strides do not match the shape's rank");
    long lo = offset, hi = offset;
    for (size_t d = 0; d < shape.size(); d++) {
      if (shape[d] < 0) return fail(true, "shape", "must hold sizes ≥ 0");
      (strides[d] > 0 ? hi : lo) += (shape[d] - 1) * strides[d];
    }
    if (prod(shape) != 0 && (lo < 0 || hi >= length)) return fail(true, name, "is too short for the strided walk");
    return true;
  }
  bool index(const char* name, const int32_t* index, long count, long bound, bool has_except, long except) const {
    for (long i = 0; i < count; i++)
      if (!(has_except && index[i] == except) && (index[i] < 0 || index[i] >= bound))
        return fail(true, name, "holds an index out of range");
    return true;
  }
};

}  // namespace wasm
}  // namespace attn
