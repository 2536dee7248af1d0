// Run-time CPU dispatch: the addon is compiled for baseline x86-64 (no -march=native) so that it loads on any
// CPU; kernels with an AVX2+FMA variant ask here, at each call, whether they may run it.
#pragma once

namespace attn {

// True when the CPU executes AVX2 and FMA instructions, ATTN_NO_SIMD is not set and set_portable_only(true)
// has not been called (both are switches for testing the portable paths on a machine that has AVX2).
bool has_avx2_fma();

// Forces the portable kernels (true) or lets the CPU's detection decide again (false). Kernels read the switch
// when they start, so it must not change while one runs (tests flip it between calls).
void set_portable_only(bool portable);

// Why the portable kernels run: "ATTN_NO_SIMD", "forced", "cpu" (no AVX2+FMA), or "" when they do not.
const char* portable_reason();

}  // namespace attn
