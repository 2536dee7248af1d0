// Process-wide tuning of the C allocator that backs JavaScript's typed arrays, applied when the addon loads.
#pragma once

namespace attn {

// With glibc, keeps freed tensor-sized blocks for reuse instead of handing them back to the kernel at once (see
// memory.cc). Does nothing elsewhere, or when the user tunes malloc through GLIBC_TUNABLES. Idempotent.
void tune_allocator();

}  // namespace attn
