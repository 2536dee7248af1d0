// The thread pool of the threaded WebAssembly module (wasm/attn-threads.wasm, built with ATTN_WASM_WORKERS): the
// same contract as native/thread_pool.cc, with Web Workers (worker_threads in Node) in place of std::thread. Each
// worker is an instance of this module on the same shared memory, started by src/backend/wasm/threads.ts, which
// gives it a stack and a TLS block and then calls workerLoop, which never returns.
//
// The thread that calls parallel_for is a page's main thread in a browser, which may not block
// (memory.atomic.wait traps there): it never waits on an atomic, only polls. Workers poll for a while after each
// job, then sleep in memory.atomic.wait32 until the next one is published.
#include <atomic>
#include <cstdint>
#include <functional>

#include "../cpu.h"
#include "../thread_pool.h"

#define ATTN_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace attn {
namespace {

// Threads that run tasks, the calling thread included; set once by setThreads before any work.
int configured = 1;

// How many polls of the job word a worker makes before it sleeps (about a millisecond or two on a current x86
// core): a training step alternates products with short stretches of JavaScript, and a sleeping worker takes
// tens of microseconds to wake.
constexpr int POLLS = 1 << 20;

// A lock for the few words that say whether a job is open and who joined it (never held across a task).
class SpinLock {
 public:
  void lock() {
    while (held_.exchange(1, std::memory_order_acquire) != 0) {
    }
  }
  void unlock() { held_.store(0, std::memory_order_release); }

 private:
  std::atomic<int> held_{0};
};

struct Job {
  std::atomic<int> busy{0};           // a job is running: a second caller (a task's own parallel_for) runs inline
  SpinLock lock;
  std::atomic<int32_t> generation{0};  // bumped per job; workers sleep on it
  const std::function<void(int)>* fn = nullptr;  // guarded by lock while open
  int tasks = 0;
  std::atomic<int> next{0};
  bool open = false;           // guarded by lock: workers may still join
  std::atomic<int> active{0};  // workers inside the job
  std::atomic<int> failed{0};  // a worker trapped (set from JavaScript through workerFailed)
};

Job job;

void drain() {
  for (;;) {
    const int t = job.next.fetch_add(1);
    if (t >= job.tasks) return;
    (*job.fn)(t);
  }
}

void run(int tasks, const std::function<void(int)>& fn) {
  if (configured == 1 || tasks == 1 || job.busy.exchange(1, std::memory_order_acquire) != 0) {
    for (int t = 0; t < tasks; t++) fn(t);
    return;
  }
  job.lock.lock();
  job.fn = &fn;
  job.tasks = tasks;
  job.next.store(0);
  job.open = true;
  job.generation.fetch_add(1);
  job.lock.unlock();
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&job.generation), ~0u);
  drain();
  // Close the job, then wait only for the workers that joined it: each is finishing its last task.
  job.lock.lock();
  job.open = false;
  job.lock.unlock();
  while (job.active.load(std::memory_order_acquire) != 0) {
  }
  job.fn = nullptr;
  job.busy.store(0, std::memory_order_release);
}

}  // namespace

int thread_count() { return configured; }

void parallel_for(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (!batch_invariant()) {
    run(tasks, fn);
    return;
  }
  // The caller's batch-invariant kernels (cpu.h) on whichever thread runs each task.
  run(tasks, [&fn](int t) {
    const bool before = batch_invariant();
    set_batch_invariant(true);
    fn(t);
    set_batch_invariant(before);
  });
}

int chunks_for(double work, double grain) {
  const int threads = thread_count();
  if (threads == 1 || work < grain * 2) return 1;
  const double c = work / grain;
  return c < threads ? static_cast<int>(c) : threads;
}

}  // namespace attn

using namespace attn;

// The number of threads tasks are split over (the caller and n - 1 workers). Called once, before any kernel runs
// and before the workers start; a worker that has not started yet simply takes no tasks.
ATTN_EXPORT("setThreads") void wasm_set_threads(int n) { configured = n < 1 ? 1 : n > 64 ? 64 : n; }

// A worker's life: wait for a job newer than the last one seen, join it while it is open, take tasks until
// none are left, repeat. Joining happens under the lock that closes the job, so either the caller waits for this
// worker or the worker never touches the job's fn and tasks.
ATTN_EXPORT("workerLoop") void wasm_worker_loop() {
  int32_t seen = job.generation.load();
  for (;;) {
    for (int i = 0; i < POLLS && job.generation.load(std::memory_order_acquire) == seen; i++) {
    }
    while (job.generation.load(std::memory_order_acquire) == seen)
      __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int*>(&job.generation), seen, -1);
    job.lock.lock();
    seen = job.generation.load();
    const bool join = job.open;
    if (join) job.active.fetch_add(1);
    job.lock.unlock();
    if (!join) continue;
    drain();
    job.active.fetch_sub(1, std::memory_order_acq_rel);
  }
}

// Called by a worker's JavaScript when workerLoop trapped: the task it held is lost, so the job's result is wrong.
// The worker leaves the job (the caller would otherwise wait for it for ever) and the forwarder, which reads
// workerFailures after each call, throws.
ATTN_EXPORT("workerFailed") void wasm_worker_failed() {
  job.failed.fetch_add(1);
  job.active.fetch_sub(1, std::memory_order_acq_rel);
}

ATTN_EXPORT("workerFailures") int wasm_worker_failures() { return job.failed.load(); }
