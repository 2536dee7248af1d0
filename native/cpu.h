// Run-time CPU dispatch: the addon is compiled for baseline x86-64 (no -march=native) so that it loads on any
// CPU; kernels with an AVX2+FMA variant ask here whether they may run it.
#pragma once

namespace attn {

// True when the CPU executes AVX2 and FMA instructions and ATTN_NO_SIMD is not set (a switch for testing the
// portable paths on a machine that has AVX2).
bool has_avx2_fma();

}  // namespace attn
