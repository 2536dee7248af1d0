// The argument readers and rule helpers of the generated glue (see glue.h).
#include "glue.h"

#include <cmath>

namespace attn {
namespace glue {

namespace {

std::string where(const char* kernel, const char* name) {
  return std::string("attn native ") + kernel + ": " + (name ? std::string(name) + " " : std::string());
}

const char* type_name(Dtype t) {
  switch (t) {
    case Dtype::F32:
      return "a Float32Array";
    case Dtype::I32:
      return "an Int32Array";
    case Dtype::U8:
      return "a Uint8Array";
    default:
      return "a Float32Array, Int32Array or Uint8Array";
  }
}

// The message is built here, on the error path only: a call that passes allocates nothing.
[[noreturn]] void wrong_array(const Napi::Env& env, const char* kernel, const char* name, Dtype want, bool nullable,
                              const char* got) {
  throw Napi::TypeError::New(env, where(kernel, name) + "must be " + type_name(want) + (nullable ? " or null" : "") +
                                      (got ? std::string(", got ") + got : std::string()));
}

bool absent(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

}  // namespace

void type_error(const Napi::Env& env, const char* kernel, const char* name, const std::string& what) {
  throw Napi::TypeError::New(env, where(kernel, name) + what);
}

void range_error(const Napi::Env& env, const char* kernel, const char* name, const std::string& what) {
  throw Napi::RangeError::New(env, where(kernel, name) + what);
}

ArrayRef read_array(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, Dtype want,
                    bool nullable) {
  if (nullable && absent(info, i)) return {nullptr, 0, want};
  if (i >= info.Length() || !info[i].IsTypedArray()) wrong_array(info.Env(), kernel, name, want, nullable, nullptr);
  Napi::TypedArray t = info[i].As<Napi::TypedArray>();
  Dtype got;
  switch (t.TypedArrayType()) {
    case napi_float32_array:
      got = Dtype::F32;
      break;
    case napi_int32_array:
      got = Dtype::I32;
      break;
    case napi_uint8_array:
      got = Dtype::U8;
      break;
    default:
      wrong_array(info.Env(), kernel, name, want, nullable, nullptr);
  }
  if (want != Dtype::Any && got != want) wrong_array(info.Env(), kernel, name, want, nullable, type_name(got));
  void* data = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  return {data, static_cast<long>(t.ElementLength()), got};
}

double read_number(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) type_error(info.Env(), kernel, name, "must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

long read_count(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  double v = read_number(info, i, kernel, name);
  if (!(v >= 0) || v != std::floor(v) || v > 2147483647.0)
    range_error(info.Env(), kernel, name, "must be a non-negative integer, got " + std::to_string(v));
  return static_cast<long>(v);
}

long read_int(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  double v = read_number(info, i, kernel, name);
  if (v != std::floor(v) || std::fabs(v) > 2147483647.0) range_error(info.Env(), kernel, name, "must be an integer");
  return static_cast<long>(v);
}

bool read_boolean(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, bool optional) {
  if (optional && (i >= info.Length() || info[i].IsUndefined())) return false;
  if (i >= info.Length() || !info[i].IsBoolean()) type_error(info.Env(), kernel, name, "must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::vector<long> read_ints(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) type_error(info.Env(), kernel, name, "must be an array");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<long> out(a.Length());
  for (uint32_t j = 0; j < a.Length(); j++) {
    Napi::Value v = a.Get(j);
    if (!v.IsNumber()) type_error(info.Env(), kernel, name, "must hold numbers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != std::floor(d) || std::fabs(d) > 2147483647.0) range_error(info.Env(), kernel, name, "must hold integers");
    out[j] = static_cast<long>(d);
  }
  return out;
}

int read_enum(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, int count) {
  if (i >= info.Length() || !info[i].IsNumber()) range_error(info.Env(), kernel, name, "is unknown");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v < count) || v != std::floor(v)) range_error(info.Env(), kernel, name, "is unknown");
  return static_cast<int>(v);
}

bool read_layout(const Napi::CallbackInfo& info, size_t i, const char* kernel, const char* name, long* s, int n) {
  if (absent(info, i)) return false;
  std::vector<long> st = read_ints(info, i, kernel, name);
  if (static_cast<int>(st.size()) != n) range_error(info.Env(), kernel, name, "has the wrong number of strides");
  for (int j = 0; j < n; j++) {
    if (st[j] < 0) range_error(info.Env(), kernel, name, "must hold strides ≥ 0");
    s[j] = st[j];
  }
  return true;
}

void need(const Napi::Env& env, const char* kernel, const char* name, const void* data, long length, long need) {
  if (data && length < need)
    range_error(env, kernel, name, "has " + std::to_string(length) + " elements, needs " + std::to_string(need));
}

void check_walk(const Napi::Env& env, const char* kernel, const char* name, long length, long offset,
                const std::vector<long>& strides, const std::vector<long>& shape) {
  if (strides.size() != shape.size()) range_error(env, kernel, name, "strides do not match the shape's rank");
  for (long d : shape)
    if (d < 0) range_error(env, kernel, "shape", "must hold sizes ≥ 0");
  if (prod(shape) == 0) return;
  long lo = offset, hi = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    long reach = (shape[d] - 1) * strides[d];
    if (reach > 0)
      hi += reach;
    else
      lo += reach;
  }
  if (lo < 0 || hi >= length) range_error(env, kernel, name, "is too short for the strided walk");
}

void check_index(const Napi::Env& env, const char* kernel, const char* name, const int32_t* index, long count,
                 long bound, bool has_except, long except) {
  for (long i = 0; i < count; i++)
    if (!(has_except && index[i] == except) && (index[i] < 0 || index[i] >= bound))
      range_error(env, kernel, name, "holds an index out of range");
}

long prod(const std::vector<long>& xs) {
  long p = 1;
  for (long x : xs) p *= x;
  return p;
}

long extent(const Strides3& s, long batch, long heads, long t, long features) {
  if (batch == 0 || heads == 0 || t == 0 || features == 0) return 0;
  return (batch - 1) * s.batch + (heads - 1) * s.head + (t - 1) * s.row + features;
}

}  // namespace glue
}  // namespace attn
