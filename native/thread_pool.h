// A persistent pool of worker threads, sized to the cores (ATTN_THREADS overrides). Work is split into a fixed
// number of chunks that depends only on the problem and the configured thread count, never on timing, so a
// kernel's result is the same on every run with the same thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace attn {

// Threads the pool runs (the calling thread counts as one).
int thread_count();

// Runs fn(task) for task in [0, tasks). Tasks are spread over the pool; when the pool is busy (another JS
// thread, e.g. a worker_thread, is using it) or tasks == 1 they run on the calling thread. Callers must make
// each task's result independent of which thread runs it.
void parallel_for(int tasks, const std::function<void(int)>& fn);

// Number of chunks worth splitting `work` units into: 1 below `grain` units per thread.
int chunks_for(double work, double grain);

}  // namespace attn
