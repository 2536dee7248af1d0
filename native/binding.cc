// The N-API surface of the addon: one function per kernel, taking JS-owned typed arrays that the kernels read
// and write in place. TypeScript validates shapes before calling, but this layer still checks every array type,
// length, count and index it relies on and throws a JS error instead of touching memory out of bounds.
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "memory.h"
#include "thread_pool.h"

namespace attn {
namespace {

struct Array {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_float32_array;
};

[[noreturn]] void type_error(const Napi::Env& env, const std::string& message) {
  throw Napi::TypeError::New(env, "attn native: " + message);
}

[[noreturn]] void range_error(const Napi::Env& env, const std::string& message) {
  throw Napi::RangeError::New(env, "attn native: " + message);
}

const char* type_name(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array:
      return "Float32Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint8_array:
      return "Uint8Array";
    default:
      return "another typed array";
  }
}

Array any_array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray()) type_error(info.Env(), std::string(name) + " must be a typed array");
  Napi::TypedArray t = info[i].As<Napi::TypedArray>();
  Array a;
  a.type = t.TypedArrayType();
  if (a.type != napi_float32_array && a.type != napi_int32_array && a.type != napi_uint8_array)
    type_error(info.Env(), std::string(name) + " must be a Float32Array, Int32Array or Uint8Array");
  a.length = t.ElementLength();
  a.data = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  return a;
}

Array array_of(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* name) {
  Array a = any_array(info, i, name);
  if (a.type != type)
    type_error(info.Env(), std::string(name) + " must be a " + type_name(type) + ", got " + type_name(a.type));
  return a;
}

bool is_null(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

float* f32(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  Array a = array_of(info, i, napi_float32_array, name);
  if (a.length < need)
    range_error(info.Env(), std::string(name) + " has " + std::to_string(a.length) + " elements, needs " +
                                std::to_string(need));
  return static_cast<float*>(a.data);
}

float* f32_or_null(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return is_null(info, i) ? nullptr : f32(info, i, name, need);
}

int32_t* i32(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  Array a = array_of(info, i, napi_int32_array, name);
  if (a.length < need)
    range_error(info.Env(), std::string(name) + " has " + std::to_string(a.length) + " elements, needs " +
                                std::to_string(need));
  return static_cast<int32_t*>(a.data);
}

uint8_t* u8(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  Array a = array_of(info, i, napi_uint8_array, name);
  if (a.length < need)
    range_error(info.Env(), std::string(name) + " has " + std::to_string(a.length) + " elements, needs " +
                                std::to_string(need));
  return static_cast<uint8_t*>(a.data);
}

double number(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) type_error(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// A non-negative integer count below 2^31 (sizes of typed arrays are far below; products are checked in long).
long count(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = number(info, i, name);
  if (!(v >= 0) || v != std::floor(v) || v > 2147483647.0)
    range_error(info.Env(), std::string(name) + " must be a non-negative integer, got " + std::to_string(v));
  return static_cast<long>(v);
}

long integer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = number(info, i, name);
  if (v != std::floor(v) || std::fabs(v) > 2147483647.0)
    range_error(info.Env(), std::string(name) + " must be an integer");
  return static_cast<long>(v);
}

bool boolean(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) type_error(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string string(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) type_error(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<long> longs(const Napi::CallbackInfo& info, size_t i, const char* name, bool non_negative) {
  if (i >= info.Length() || !info[i].IsArray()) type_error(info.Env(), std::string(name) + " must be an array");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<long> out(a.Length());
  for (uint32_t j = 0; j < a.Length(); j++) {
    Napi::Value v = a.Get(j);
    if (!v.IsNumber()) type_error(info.Env(), std::string(name) + " must hold numbers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != std::floor(d) || std::fabs(d) > 2147483647.0 || (non_negative && d < 0))
      range_error(info.Env(), std::string(name) + " must hold integers" + (non_negative ? " ≥ 0" : ""));
    out[j] = static_cast<long>(d);
  }
  return out;
}

long product(const std::vector<long>& shape) {
  long p = 1;
  for (long d : shape) p *= d;
  return p;
}

// Checks that a strided walk over `shape` from `offset` stays inside [0, length).
void check_walk(const Napi::Env& env, const char* name, size_t length, long offset, const std::vector<long>& strides,
                const std::vector<long>& shape) {
  if (strides.size() != shape.size()) range_error(env, std::string(name) + " strides do not match the shape's rank");
  if (product(shape) == 0) return;
  long lo = offset, hi = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    long reach = (shape[d] - 1) * strides[d];
    if (reach > 0)
      hi += reach;
    else
      lo += reach;
  }
  if (lo < 0 || hi >= static_cast<long>(length))
    range_error(env, std::string(name) + " is too short for the strided walk");
}

void check_index(const Napi::Env& env, const int32_t* index, long count, long n, const char* name) {
  for (long i = 0; i < count; i++)
    if (index[i] < 0 || index[i] >= n) range_error(env, std::string(name) + " holds an index out of range");
}

Unary unary_op(const Napi::Env& env, const std::string& s) {
  static const char* names[] = {"neg",  "exp",     "log",  "sqrt", "abs",    "tanh",
                                "sigmoid", "relu", "gelu", "sign", "square", "reciprocal"};
  for (int i = 0; i < 12; i++)
    if (s == names[i]) return static_cast<Unary>(i);
  range_error(env, "unknown unary op '" + s + "'");
}

Binary binary_op(const Napi::Env& env, const std::string& s) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum"};
  for (int i = 0; i < 7; i++)
    if (s == names[i]) return static_cast<Binary>(i);
  range_error(env, "unknown binary op '" + s + "'");
}

Compare compare_op(const Napi::Env& env, const std::string& s) {
  static const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  for (int i = 0; i < 6; i++)
    if (s == names[i]) return static_cast<Compare>(i);
  range_error(env, "unknown compare op '" + s + "'");
}

Reduce reduce_op(const Napi::Env& env, const std::string& s) {
  static const char* names[] = {"sum", "max", "min", "logsumexp"};
  for (int i = 0; i < 4; i++)
    if (s == names[i]) return static_cast<Reduce>(i);
  range_error(env, "unknown reduce op '" + s + "'");
}

// unary(op, x, out)
void Unary_(const Napi::CallbackInfo& info) {
  Unary op = unary_op(info.Env(), string(info, 0, "op"));
  Array x = array_of(info, 1, napi_float32_array, "x");
  float* out = f32(info, 2, "out", x.length);
  unary(op, static_cast<float*>(x.data), out, static_cast<long>(x.length));
}

// unaryGrad(op, x, y, dy, dx)
void UnaryGrad(const Napi::CallbackInfo& info) {
  Unary op = unary_op(info.Env(), string(info, 0, "op"));
  Array x = array_of(info, 1, napi_float32_array, "x");
  size_t n = x.length;
  unary_grad(op, static_cast<float*>(x.data), f32(info, 2, "y", n), f32(info, 3, "dy", n), f32(info, 4, "dx", n),
             static_cast<long>(n));
}

// clamp(x, lo, hi, out)
void Clamp(const Napi::CallbackInfo& info) {
  Array x = array_of(info, 0, napi_float32_array, "x");
  clamp(static_cast<float*>(x.data), static_cast<float>(number(info, 1, "lo")),
        static_cast<float>(number(info, 2, "hi")), f32(info, 3, "out", x.length), static_cast<long>(x.length));
}

// binary(op, a, aStrides, b, bStrides, out, shape)
void Binary_(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Binary op = binary_op(env, string(info, 0, "op"));
  Array a = array_of(info, 1, napi_float32_array, "a");
  std::vector<long> as = longs(info, 2, "aStrides", false);
  Array b = array_of(info, 3, napi_float32_array, "b");
  std::vector<long> bs = longs(info, 4, "bStrides", false);
  std::vector<long> shape = longs(info, 6, "shape", true);
  float* out = f32(info, 5, "out", product(shape));
  check_walk(env, "a", a.length, 0, as, shape);
  check_walk(env, "b", b.length, 0, bs, shape);
  if (product(shape) == 0) return;
  binary(op, static_cast<float*>(a.data), as, static_cast<float*>(b.data), bs, out, shape);
}

// compare(op, a, aStrides, b, bStrides, out, shape): a and b of one dtype.
void Compare_(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Compare op = compare_op(env, string(info, 0, "op"));
  Array a = any_array(info, 1, "a");
  std::vector<long> as = longs(info, 2, "aStrides", false);
  Array b = array_of(info, 3, a.type, "b");
  std::vector<long> bs = longs(info, 4, "bStrides", false);
  std::vector<long> shape = longs(info, 6, "shape", true);
  uint8_t* out = u8(info, 5, "out", product(shape));
  check_walk(env, "a", a.length, 0, as, shape);
  check_walk(env, "b", b.length, 0, bs, shape);
  if (product(shape) == 0) return;
  if (a.type == napi_float32_array)
    compare(op, static_cast<float*>(a.data), as, static_cast<float*>(b.data), bs, out, shape);
  else if (a.type == napi_int32_array)
    compare(op, static_cast<int32_t*>(a.data), as, static_cast<int32_t*>(b.data), bs, out, shape);
  else
    compare(op, static_cast<uint8_t*>(a.data), as, static_cast<uint8_t*>(b.data), bs, out, shape);
}

// where(cond, condStrides, a, aStrides, b, bStrides, out, shape): a, b and out of one dtype.
void Where(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Array c = array_of(info, 0, napi_uint8_array, "cond");
  std::vector<long> cs = longs(info, 1, "condStrides", false);
  Array a = any_array(info, 2, "a");
  std::vector<long> as = longs(info, 3, "aStrides", false);
  Array b = array_of(info, 4, a.type, "b");
  std::vector<long> bs = longs(info, 5, "bStrides", false);
  Array out = array_of(info, 6, a.type, "out");
  std::vector<long> shape = longs(info, 7, "shape", true);
  if (static_cast<long>(out.length) < product(shape)) range_error(env, "out is too short");
  check_walk(env, "cond", c.length, 0, cs, shape);
  check_walk(env, "a", a.length, 0, as, shape);
  check_walk(env, "b", b.length, 0, bs, shape);
  if (product(shape) == 0) return;
  const uint8_t* cd = static_cast<uint8_t*>(c.data);
  if (a.type == napi_float32_array)
    where(cd, cs, static_cast<float*>(a.data), as, static_cast<float*>(b.data), bs, static_cast<float*>(out.data),
          shape);
  else if (a.type == napi_int32_array)
    where(cd, cs, static_cast<int32_t*>(a.data), as, static_cast<int32_t*>(b.data), bs,
          static_cast<int32_t*>(out.data), shape);
  else
    where(cd, cs, static_cast<uint8_t*>(a.data), as, static_cast<uint8_t*>(b.data), bs,
          static_cast<uint8_t*>(out.data), shape);
}

// copy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape) and copyAdd (float32 only).
void CopyImpl(const Napi::CallbackInfo& info, bool add) {
  const Napi::Env env = info.Env();
  Array src = add ? array_of(info, 0, napi_float32_array, "src") : any_array(info, 0, "src");
  long so = integer(info, 1, "srcOffset");
  std::vector<long> ss = longs(info, 2, "srcStrides", false);
  Array dst = array_of(info, 3, src.type, "dst");
  long dof = integer(info, 4, "dstOffset");
  std::vector<long> ds = longs(info, 5, "dstStrides", false);
  std::vector<long> shape = longs(info, 6, "shape", true);
  check_walk(env, "src", src.length, so, ss, shape);
  check_walk(env, "dst", dst.length, dof, ds, shape);
  if (product(shape) == 0) return;
  if (add)
    copy_add(static_cast<float*>(src.data), so, ss, static_cast<float*>(dst.data), dof, ds, shape);
  else if (src.type == napi_uint8_array)
    copy(static_cast<uint8_t*>(src.data), so, ss, static_cast<uint8_t*>(dst.data), dof, ds, shape);
  else
    copy(static_cast<uint32_t*>(src.data), so, ss, static_cast<uint32_t*>(dst.data), dof, ds, shape);
}
void Copy(const Napi::CallbackInfo& info) { CopyImpl(info, false); }
void CopyAdd(const Napi::CallbackInfo& info) { CopyImpl(info, true); }

// reduce(op, x, outer, n, inner, out)
void Reduce_(const Napi::CallbackInfo& info) {
  Reduce op = reduce_op(info.Env(), string(info, 0, "op"));
  long outer = count(info, 2, "outer"), n = count(info, 3, "n"), inner = count(info, 4, "inner");
  const float* x = f32(info, 1, "x", outer * n * inner);
  float* out = f32(info, 5, "out", outer * inner);
  reduce(op, x, outer, n, inner, out);
}

// argReduce(op, x, outer, n, inner, out)
void ArgReduce(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::string op = string(info, 0, "op");
  if (op != "argmax" && op != "argmin") range_error(env, "unknown arg-reduce op '" + op + "'");
  Array x = any_array(info, 1, "x");
  long outer = count(info, 2, "outer"), n = count(info, 3, "n"), inner = count(info, 4, "inner");
  if (n == 0 && outer * inner > 0) range_error(env, "argReduce needs n ≥ 1");
  if (static_cast<long>(x.length) < outer * n * inner) range_error(env, "x is too short");
  int32_t* out = i32(info, 5, "out", outer * inner);
  bool is_max = op == "argmax";
  if (x.type == napi_float32_array)
    arg_reduce(is_max, static_cast<float*>(x.data), outer, n, inner, out);
  else if (x.type == napi_int32_array)
    arg_reduce(is_max, static_cast<int32_t*>(x.data), outer, n, inner, out);
  else
    arg_reduce(is_max, static_cast<uint8_t*>(x.data), outer, n, inner, out);
}

// matmul(a, b, out, batch, m, n, k, transA, transB, strideA, strideB)
void Matmul(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  long batch = count(info, 3, "batch"), m = count(info, 4, "m"), n = count(info, 5, "n"), k = count(info, 6, "k");
  bool ta = boolean(info, 7, "transA"), tb = boolean(info, 8, "transB");
  long sa = count(info, 9, "strideA"), sb = count(info, 10, "strideB");
  if (batch == 0 || m == 0 || n == 0) {
    f32(info, 2, "out", batch * m * n);
    return;
  }
  if ((sa != 0 && sa < m * k) || (sb != 0 && sb < k * n)) range_error(env, "batch strides overlap the matrices");
  const float* a = f32(info, 0, "a", (batch - 1) * sa + m * k);
  const float* b = f32(info, 1, "b", (batch - 1) * sb + k * n);
  float* out = f32(info, 2, "out", batch * m * n);
  matmul_batched(a, b, out, static_cast<int>(batch), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                 ta, tb, sa, sb);
}

// packedBFloats(k, n): the length of the Float32Array that packB fills for op(B) [k×n].
Napi::Value PackedBFloats(const Napi::CallbackInfo& info) {
  long k = count(info, 0, "k"), n = count(info, 1, "n");
  return Napi::Number::New(info.Env(), static_cast<double>(packed_b_floats(static_cast<int>(k), static_cast<int>(n))));
}

// packB(b, k, n, transB, packed)
void PackB(const Napi::CallbackInfo& info) {
  long k = count(info, 1, "k"), n = count(info, 2, "n");
  bool tb = boolean(info, 3, "transB");
  const float* b = f32(info, 0, "b", k * n);
  float* packed = f32(info, 4, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  pack_b_whole(b, static_cast<int>(k), static_cast<int>(n), tb, packed);
}

// matmulPrepacked(a, b, packed, out, m, n, k, transA, transB): matmul with batch 1 and B also given as packB
// packed it (same shape and transB).
void MatmulPrepacked(const Napi::CallbackInfo& info) {
  long m = count(info, 4, "m"), n = count(info, 5, "n"), k = count(info, 6, "k");
  bool ta = boolean(info, 7, "transA"), tb = boolean(info, 8, "transB");
  const float* a = f32(info, 0, "a", m * k);
  const float* b = f32(info, 1, "b", k * n);
  const float* packed = f32(info, 2, "packed", packed_b_floats(static_cast<int>(k), static_cast<int>(n)));
  float* out = f32(info, 3, "out", m * n);
  matmul_prepacked(a, b, packed, out, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ta, tb);
}

// matmulBiasAct(a, b, out, m, n, k, transA, transB, bias, relu): a Linear layer's product, bias and ReLU in one
// (batch 1; bias [n] or null).
void MatmulBiasAct(const Napi::CallbackInfo& info) {
  long m = count(info, 3, "m"), n = count(info, 4, "n"), k = count(info, 5, "k");
  bool ta = boolean(info, 6, "transA"), tb = boolean(info, 7, "transB");
  bool relu = boolean(info, 9, "relu");
  const float* a = f32(info, 0, "a", m * k);
  const float* b = f32(info, 1, "b", k * n);
  float* out = f32(info, 2, "out", m * n);
  matmul_bias_act(a, b, out, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ta, tb,
                  f32_or_null(info, 8, "bias", n), relu);
}

// softmax(x, outer, n, inner, log, out)
void Softmax(const Napi::CallbackInfo& info) {
  long outer = count(info, 1, "outer"), n = count(info, 2, "n"), inner = count(info, 3, "inner");
  bool log = boolean(info, 4, "log");
  const float* x = f32(info, 0, "x", outer * n * inner);
  softmax(x, outer, n, inner, log, f32(info, 5, "out", outer * n * inner));
}

// softmaxGrad(y, dy, outer, n, inner, log, dx)
void SoftmaxGrad(const Napi::CallbackInfo& info) {
  long outer = count(info, 2, "outer"), n = count(info, 3, "n"), inner = count(info, 4, "inner");
  bool log = boolean(info, 5, "log");
  long size = outer * n * inner;
  softmax_grad(f32(info, 0, "y", size), f32(info, 1, "dy", size), outer, n, inner, log, f32(info, 6, "dx", size));
}

void check_targets(const Napi::Env& env, const int32_t* t, long rows, long classes, long ignore) {
  for (long r = 0; r < rows; r++)
    if (t[r] != ignore && (t[r] < 0 || t[r] >= classes)) range_error(env, "targets hold a class out of range");
}

// crossEntropy(logits, targets, rows, classes, ignoreIndex, labelSmoothing, loss, logSumExp)
void CrossEntropy(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  long rows = count(info, 2, "rows"), classes = count(info, 3, "classes");
  long ignore = integer(info, 4, "ignoreIndex");
  double ls = number(info, 5, "labelSmoothing");
  const float* logits = f32(info, 0, "logits", rows * classes);
  const int32_t* targets = i32(info, 1, "targets", rows);
  check_targets(env, targets, rows, classes, ignore);
  cross_entropy(logits, targets, rows, classes, static_cast<int32_t>(ignore), ls, f32(info, 6, "loss", rows),
                f32(info, 7, "logSumExp", rows));
}

// crossEntropyGrad(logits, logSumExp, targets, rows, classes, ignoreIndex, labelSmoothing, rowGrad, dLogits)
void CrossEntropyGrad(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  long rows = count(info, 3, "rows"), classes = count(info, 4, "classes");
  long ignore = integer(info, 5, "ignoreIndex");
  double ls = number(info, 6, "labelSmoothing");
  const float* logits = f32(info, 0, "logits", rows * classes);
  const float* lse = f32(info, 1, "logSumExp", rows);
  const int32_t* targets = i32(info, 2, "targets", rows);
  check_targets(env, targets, rows, classes, ignore);
  cross_entropy_grad(logits, lse, targets, rows, classes, static_cast<int32_t>(ignore), ls,
                     f32(info, 7, "rowGrad", rows), f32(info, 8, "dLogits", rows * classes));
}

// linearBiasAct(y, bias, rows, n, relu)
void LinearBiasAct(const Napi::CallbackInfo& info) {
  long rows = count(info, 2, "rows"), n = count(info, 3, "n");
  bool relu = info[4].ToBoolean().Value();
  linear_bias_act(f32(info, 0, "y", rows * n), f32_or_null(info, 1, "bias", n), rows, n, relu);
}

// linearActGrad(y, g, rows, n, relu, dPre, biasGrad)
void LinearActGrad(const Napi::CallbackInfo& info) {
  long rows = count(info, 2, "rows"), n = count(info, 3, "n");
  bool relu = info[4].ToBoolean().Value();
  const float* y = relu ? f32(info, 0, "y", rows * n) : nullptr;
  linear_act_grad(y, f32(info, 1, "g", rows * n), rows, n, relu, f32_or_null(info, 5, "dPre", rows * n),
                  f32_or_null(info, 6, "biasGrad", n));
}

// layerNorm(x, gamma, beta, rows, n, eps, out, mean, rstd)
void LayerNorm(const Napi::CallbackInfo& info) {
  long rows = count(info, 3, "rows"), n = count(info, 4, "n");
  double eps = number(info, 5, "eps");
  layer_norm(f32(info, 0, "x", rows * n), f32_or_null(info, 1, "gamma", n), f32_or_null(info, 2, "beta", n), rows, n,
             eps, f32(info, 6, "out", rows * n), f32(info, 7, "mean", rows), f32(info, 8, "rstd", rows));
}

// layerNormGrad(x, gamma, mean, rstd, dy, rows, n, dx, dGamma, dBeta)
void LayerNormGrad(const Napi::CallbackInfo& info) {
  long rows = count(info, 5, "rows"), n = count(info, 6, "n");
  layer_norm_grad(f32(info, 0, "x", rows * n), f32_or_null(info, 1, "gamma", n), f32(info, 2, "mean", rows),
                  f32(info, 3, "rstd", rows), f32(info, 4, "dy", rows * n), rows, n, f32(info, 7, "dx", rows * n),
                  f32_or_null(info, 8, "dGamma", n), f32_or_null(info, 9, "dBeta", n));
}

// indexSelect(src, outer, n, inner, index, out)
void IndexSelect(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Array src = any_array(info, 0, "src");
  long outer = count(info, 1, "outer"), n = count(info, 2, "n"), inner = count(info, 3, "inner");
  Array idx = array_of(info, 4, napi_int32_array, "index");
  long m = static_cast<long>(idx.length);
  const int32_t* index = static_cast<int32_t*>(idx.data);
  Array out = array_of(info, 5, src.type, "out");
  if (static_cast<long>(src.length) < outer * n * inner) range_error(env, "src is too short");
  if (static_cast<long>(out.length) < outer * m * inner) range_error(env, "out is too short");
  if (outer * inner == 0) return;
  check_index(env, index, m, n, "index");
  if (src.type == napi_uint8_array)
    index_select(static_cast<uint8_t*>(src.data), outer, n, inner, index, m, static_cast<uint8_t*>(out.data));
  else
    index_select(static_cast<uint32_t*>(src.data), outer, n, inner, index, m, static_cast<uint32_t*>(out.data));
}

// indexAdd(dst, outer, n, inner, index, src)
void IndexAdd(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  long outer = count(info, 1, "outer"), n = count(info, 2, "n"), inner = count(info, 3, "inner");
  Array idx = array_of(info, 4, napi_int32_array, "index");
  long m = static_cast<long>(idx.length);
  const int32_t* index = static_cast<int32_t*>(idx.data);
  float* dst = f32(info, 0, "dst", outer * n * inner);
  const float* src = f32(info, 5, "src", outer * m * inner);
  if (outer * inner == 0) return;
  check_index(env, index, m, n, "index");
  index_add(dst, outer, n, inner, index, m, src);
}

// gather(src, outer, n, inner, index, m, out)
void Gather(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Array src = any_array(info, 0, "src");
  long outer = count(info, 1, "outer"), n = count(info, 2, "n"), inner = count(info, 3, "inner");
  long m = count(info, 5, "m");
  const int32_t* index = i32(info, 4, "index", outer * m * inner);
  Array out = array_of(info, 6, src.type, "out");
  if (static_cast<long>(src.length) < outer * n * inner) range_error(env, "src is too short");
  if (static_cast<long>(out.length) < outer * m * inner) range_error(env, "out is too short");
  check_index(env, index, outer * m * inner, n, "index");
  if (src.type == napi_uint8_array)
    gather(static_cast<uint8_t*>(src.data), outer, n, inner, index, m, static_cast<uint8_t*>(out.data));
  else
    gather(static_cast<uint32_t*>(src.data), outer, n, inner, index, m, static_cast<uint32_t*>(out.data));
}

// scatterAdd(dst, outer, n, inner, index, m, src)
void ScatterAdd(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  long outer = count(info, 1, "outer"), n = count(info, 2, "n"), inner = count(info, 3, "inner");
  long m = count(info, 5, "m");
  float* dst = f32(info, 0, "dst", outer * n * inner);
  const int32_t* index = i32(info, 4, "index", outer * m * inner);
  const float* src = f32(info, 6, "src", outer * m * inner);
  check_index(env, index, outer * m * inner, n, "index");
  scatter_add(dst, outer, n, inner, index, m, src);
}

// Reads (batch, heads, tq, tk, d, dv, scale, causal) from argument `at` on.
AttentionShape attention_shape(const Napi::CallbackInfo& info, size_t at) {
  AttentionShape s;
  s.batch = count(info, at, "batch");
  s.heads = count(info, at + 1, "heads");
  s.tq = count(info, at + 2, "tq");
  s.tk = count(info, at + 3, "tk");
  s.d = count(info, at + 4, "d");
  s.dv = count(info, at + 5, "dv");
  s.scale = static_cast<float>(number(info, at + 6, "scale"));
  s.causal = boolean(info, at + 7, "causal");
  s.q = contiguous_strides(s.heads, s.tq, s.d);
  s.k = contiguous_strides(s.heads, s.tk, s.d);
  s.v = contiguous_strides(s.heads, s.tk, s.dv);
  s.o = contiguous_strides(s.heads, s.tq, s.dv);
  return s;
}

// The optional layout argument: 12 non-negative strides (batch, head, row) of q, k, v and out, in that order.
void attention_layout(const Napi::CallbackInfo& info, size_t i, AttentionShape& s) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return;
  std::vector<long> st = longs(info, i, "layout", true);
  if (st.size() != 12) range_error(info.Env(), "layout must hold 12 strides (q, k, v, out: batch, head, row)");
  AttentionStrides* dst[4] = {&s.q, &s.k, &s.v, &s.o};
  for (int j = 0; j < 4; j++) *dst[j] = {st[3 * j], st[3 * j + 1], st[3 * j + 2]};
}

// Elements an operand with strides st must hold: one past its last feature.
size_t extent(const AttentionShape& s, const AttentionStrides& st, long t, long features) {
  if (s.batch == 0 || s.heads == 0 || t == 0 || features == 0) return 0;
  return static_cast<size_t>((s.batch - 1) * st.batch + (s.heads - 1) * st.head + (t - 1) * st.row + features);
}

// attention(q, k, v, keyPadding, batch, heads, tq, tk, d, dv, scale, causal, out, lse, weights[, layout])
void Attention(const Napi::CallbackInfo& info) {
  AttentionShape s = attention_shape(info, 4);
  attention_layout(info, 15, s);
  long bh = s.batch * s.heads;
  const float* q = f32(info, 0, "q", extent(s, s.q, s.tq, s.d));
  const float* k = f32(info, 1, "k", extent(s, s.k, s.tk, s.d));
  const float* v = f32(info, 2, "v", extent(s, s.v, s.tk, s.dv));
  const uint8_t* pad = is_null(info, 3) ? nullptr : u8(info, 3, "keyPadding", s.batch * s.tk);
  float* out = f32(info, 12, "out", extent(s, s.o, s.tq, s.dv));
  float* lse = f32(info, 13, "lse", bh * s.tq);
  float* weights = f32_or_null(info, 14, "weights", bh * s.tq * s.tk);
  attention_forward(s, q, k, v, pad, out, lse, weights);
}

// attentionGrad(q, k, v, keyPadding, batch, heads, tq, tk, d, dv, scale, causal, out, lse, dOut, dq, dk, dv[,
// layout[, weights]]); dq, dk, dv have q, k, v's layout and dOut has out's. weights (null or absent: recomputed)
// are the forward's [batch, heads, tq, tk] attention weights.
void AttentionGrad(const Napi::CallbackInfo& info) {
  AttentionShape s = attention_shape(info, 4);
  attention_layout(info, 18, s);
  long bh = s.batch * s.heads;
  const size_t nq = extent(s, s.q, s.tq, s.d), nk = extent(s, s.k, s.tk, s.d), nv = extent(s, s.v, s.tk, s.dv);
  const size_t no = extent(s, s.o, s.tq, s.dv);
  const float* q = f32(info, 0, "q", nq);
  const float* k = f32(info, 1, "k", nk);
  const float* v = f32(info, 2, "v", nv);
  const uint8_t* pad = is_null(info, 3) ? nullptr : u8(info, 3, "keyPadding", s.batch * s.tk);
  const float* out = f32(info, 12, "out", no);
  const float* lse = f32(info, 13, "lse", bh * s.tq);
  const float* d_out = f32(info, 14, "dOut", no);
  const float* weights = f32_or_null(info, 19, "weights", bh * s.tq * s.tk);
  attention_backward(s, q, k, v, pad, out, lse, d_out, f32(info, 15, "dq", nq), f32(info, 16, "dk", nk),
                     f32(info, 17, "dv", nv), weights);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", thread_count());
  o.Set("simd", simd_level());
  o.Set("portableReason", portable_reason());
  return o;
}

// setPortableOnly(portable): forces the portable kernels (tests of the non-AVX2 paths on an AVX2 machine).
void SetPortableOnly(const Napi::CallbackInfo& info) { set_portable_only(boolean(info, 0, "portable")); }

// setAvx512Off(off): forces the AVX2 kernels on an AVX-512 machine (tests of both kernel sets on one machine).
void SetAvx512Off(const Napi::CallbackInfo& info) { set_avx512_off(boolean(info, 0, "off")); }

}  // namespace
}  // namespace attn

namespace {

using namespace attn;

// An optional trailing boolean: true for row-layout gates ([B, 3H]), absent or false for gate-major.
bool rows_flag(const Napi::CallbackInfo& info, size_t i) { return !is_null(info, i) && boolean(info, i, "rows"); }

// gruCell(xg, hg, h, biasHn, batch, hidden, hNew, gates, rows?)
void GruCell(const Napi::CallbackInfo& info) {
  long b = count(info, 4, "batch"), h = count(info, 5, "hidden"), n = b * h;
  gru_cell(f32(info, 0, "xg", 3 * n), f32(info, 1, "hg", 3 * n), f32(info, 2, "h", n),
           f32_or_null(info, 3, "biasHn", h), b, h, rows_flag(info, 8), f32(info, 6, "hNew", n),
           f32(info, 7, "gates", 3 * n));
}

// gruCellGrad(hg, h, biasHn, gates, dhNew, batch, hidden, dxg, dhg, dh, rows?)
void GruCellGrad(const Napi::CallbackInfo& info) {
  long b = count(info, 5, "batch"), h = count(info, 6, "hidden"), n = b * h;
  gru_cell_grad(f32(info, 0, "hg", 3 * n), f32(info, 1, "h", n), f32_or_null(info, 2, "biasHn", h),
                f32(info, 3, "gates", 3 * n), f32(info, 4, "dhNew", n), b, h, rows_flag(info, 10),
                f32(info, 7, "dxg", 3 * n), f32(info, 8, "dhg", 3 * n), f32(info, 9, "dh", n));
}

// lstmCell(xg, hg, c, batch, hidden, hNew, cNew, gates)
void LstmCell(const Napi::CallbackInfo& info) {
  long b = count(info, 3, "batch"), h = count(info, 4, "hidden"), n = b * h;
  lstm_cell(f32(info, 0, "xg", 4 * n), f32(info, 1, "hg", 4 * n), f32(info, 2, "c", n), b, h,
            f32(info, 5, "hNew", n), f32(info, 6, "cNew", n), f32(info, 7, "gates", 4 * n));
}

// lstmCellGrad(c, cNew, gates, dhNew, dcNew, batch, hidden, dPre, dc)
void LstmCellGrad(const Napi::CallbackInfo& info) {
  long b = count(info, 5, "batch"), h = count(info, 6, "hidden"), n = b * h;
  lstm_cell_grad(f32(info, 0, "c", n), f32(info, 1, "cNew", n), f32(info, 2, "gates", 4 * n),
                 f32(info, 3, "dhNew", n), f32(info, 4, "dcNew", n), b, h, f32(info, 7, "dPre", 4 * n),
                 f32(info, 8, "dc", n));
}

uint8_t* u8_or_null(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return is_null(info, i) ? nullptr : u8(info, i, name, need);
}

// The shape arguments (batch, length, units, width, vBias) of the additive attention kernels, from index i.
AdditiveShape additive_shape(const Napi::CallbackInfo& info, size_t i) {
  return {count(info, i, "batch"), count(info, i + 1, "length"), count(info, i + 2, "units"),
          count(info, i + 3, "width"), static_cast<float>(number(info, i + 4, "vBias"))};
}

// additiveAttention(keys, query, v, memory, mask, batch, length, units, width, vBias, weights, context)
void AdditiveAttention(const Napi::CallbackInfo& info) {
  AdditiveShape a = additive_shape(info, 5);
  long bs = a.batch * a.length;
  additive_attention(a, f32(info, 0, "keys", bs * a.units), f32(info, 1, "query", a.batch * a.units),
                     f32(info, 2, "v", a.units), f32(info, 3, "memory", bs * a.width),
                     u8_or_null(info, 4, "mask", bs), f32(info, 10, "weights", bs),
                     f32(info, 11, "context", a.batch * a.width));
}

// additiveAttentionGrad(keys, query, v, memory, mask, batch, length, units, width, vBias, weights, dContext,
//                       dWeights, dScores, dQuery, dKeys, dV, dMemory)
void AdditiveAttentionGrad(const Napi::CallbackInfo& info) {
  AdditiveShape a = additive_shape(info, 5);
  long bs = a.batch * a.length;
  additive_attention_grad(a, f32(info, 0, "keys", bs * a.units), f32(info, 1, "query", a.batch * a.units),
                          f32(info, 2, "v", a.units), f32(info, 3, "memory", bs * a.width),
                          u8_or_null(info, 4, "mask", bs), f32(info, 10, "weights", bs),
                          f32(info, 11, "dContext", a.batch * a.width), f32_or_null(info, 12, "dWeights", bs),
                          f32(info, 13, "dScores", bs), f32(info, 14, "dQuery", a.batch * a.units),
                          f32(info, 15, "dKeys", bs * a.units), f32(info, 16, "dV", a.units),
                          f32_or_null(info, 17, "dMemory", bs * a.width));
}

// adam(p, g, m, v, vMax, beta1, beta2, stepSize, biasCorrection2Sqrt, eps, l2, decay, sign)
void Adam(const Napi::CallbackInfo& info) {
  Array pa = array_of(info, 0, napi_float32_array, "p");
  const size_t n = pa.length;
  AdamStep s{number(info, 5, "beta1"), number(info, 6, "beta2"), number(info, 7, "stepSize"),
             number(info, 8, "biasCorrection2Sqrt"), number(info, 9, "eps"), number(info, 10, "l2"),
             number(info, 11, "decay"), number(info, 12, "sign")};
  adam(static_cast<float*>(pa.data), f32(info, 1, "g", n), f32(info, 2, "m", n), f32(info, 3, "v", n),
       f32_or_null(info, 4, "vMax", n), static_cast<long>(n), s);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tune_allocator();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setPortableOnly", Napi::Function::New(env, SetPortableOnly));
  exports.Set("setAvx512Off", Napi::Function::New(env, SetAvx512Off));
  exports.Set("unary", Napi::Function::New(env, Unary_));
  exports.Set("unaryGrad", Napi::Function::New(env, UnaryGrad));
  exports.Set("clamp", Napi::Function::New(env, Clamp));
  exports.Set("binary", Napi::Function::New(env, Binary_));
  exports.Set("compare", Napi::Function::New(env, Compare_));
  exports.Set("where", Napi::Function::New(env, Where));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("copyAdd", Napi::Function::New(env, CopyAdd));
  exports.Set("reduce", Napi::Function::New(env, Reduce_));
  exports.Set("argReduce", Napi::Function::New(env, ArgReduce));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("packedBFloats", Napi::Function::New(env, PackedBFloats));
  exports.Set("packB", Napi::Function::New(env, PackB));
  exports.Set("matmulPrepacked", Napi::Function::New(env, MatmulPrepacked));
  exports.Set("matmulBiasAct", Napi::Function::New(env, MatmulBiasAct));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxGrad", Napi::Function::New(env, SoftmaxGrad));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy));
  exports.Set("crossEntropyGrad", Napi::Function::New(env, CrossEntropyGrad));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("layerNormGrad", Napi::Function::New(env, LayerNormGrad));
  exports.Set("linearBiasAct", Napi::Function::New(env, LinearBiasAct));
  exports.Set("linearActGrad", Napi::Function::New(env, LinearActGrad));
  exports.Set("indexSelect", Napi::Function::New(env, IndexSelect));
  exports.Set("indexAdd", Napi::Function::New(env, IndexAdd));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attentionGrad", Napi::Function::New(env, AttentionGrad));
  exports.Set("gruCell", Napi::Function::New(env, GruCell));
  exports.Set("gruCellGrad", Napi::Function::New(env, GruCellGrad));
  exports.Set("lstmCell", Napi::Function::New(env, LstmCell));
  exports.Set("lstmCellGrad", Napi::Function::New(env, LstmCellGrad));
  exports.Set("additiveAttention", Napi::Function::New(env, AdditiveAttention));
  exports.Set("additiveAttentionGrad", Napi::Function::New(env, AdditiveAttentionGrad));
  exports.Set("adam", Napi::Function::New(env, Adam));
  return exports;
}

}  // namespace

NODE_API_MODULE(attn, Init)
