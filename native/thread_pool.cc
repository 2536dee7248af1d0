#include "thread_pool.h"

#include "cpu.h"

#if defined(ATTN_WASM_WORKERS)
// The threaded WebAssembly module has its own pool, of Web Workers: native/wasm/workers.cc.
#elif defined(ATTN_SINGLE_THREAD)
// The single-threaded WebAssembly module (for pages that are not cross-origin isolated, which have no shared
// memory): every task runs on the calling thread, in order, which is what the pool does with one thread, so
// results have the bits of ATTN_THREADS=1.
namespace attn {

int thread_count() { return 1; }

void parallel_for(int tasks, const std::function<void(int)>& fn) {
  for (int t = 0; t < tasks; t++) fn(t);
}

int chunks_for(double, double) { return 1; }

}  // namespace attn
#else

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace attn {
namespace {

// How long a worker keeps polling for the next job before it sleeps (ATTN_SPIN_US, microseconds; 0: sleep at
// once). A training step alternates products on both threads with short single-threaded stretches (JavaScript,
// a GRU cell, the attention of one step); a worker that went to sleep for such a stretch takes its time to
// come back at full speed: here a 64×1536×512 product ran 20-30% slower after a 1 ms pause of its worker than
// back to back, and 2 ms of polling removed that (about 4% of the translation step over seven alternated runs).
// Polling only follows a job, so an idle process sleeps after at most this long.
long configured_spin_us() {
  const char* env = std::getenv("ATTN_SPIN_US");
  if (env != nullptr && env[0] != '\0') {
    char* end = nullptr;
    long us = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && us >= 0) return std::min(us, 1000000L);
  }
  return 2000;
}

inline void cpu_pause() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

int configured_threads() {
  const char* env = std::getenv("ATTN_THREADS");
  if (env != nullptr && env[0] != '\0') {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { work(); });
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_++;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return threads_; }

  void run(int tasks, const std::function<void(int)>& fn) {
    // One job at a time: a second JS thread arriving while a job runs does its tasks inline instead of waiting.
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || threads_ == 1 || tasks == 1) {
      for (int t = 0; t < tasks; t++) fn(t);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      tasks_ = tasks;
      next_.store(0);
      open_ = true;
      generation_++;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    drain();
    // Close the job, then wait only for the workers that joined it. Waking a sleeping thread takes tens of
    // microseconds on a VM; a worker that wakes after the calling thread has taken every task finds the job
    // closed and goes back to sleep, so a small job never waits for it (the old pool waited for every worker).
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = false;
    }
    // The workers still inside are running their last task, about as long as the one this thread just ran:
    // poll for them first. Sleeping on done_ here costs a futex wake-up per product (15-20 µs on a VM), which
    // for a decoder step of a few hundred small products was a third of its time.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    while (active_.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 32; i++) cpu_pause();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_.load(std::memory_order_acquire) == 0; });
    fn_ = nullptr;
  }

 private:
  void drain() {
    for (;;) {
      int t = next_.fetch_add(1);
      if (t >= tasks_) return;
      (*fn_)(t);
    }
  }

  // Polls for a job newer than `seen` for up to spin_us_ before the worker takes the lock and sleeps.
  void poll(unsigned long seen) const {
    if (spin_us_ == 0) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    while (published_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 32; i++) cpu_pause();
    }
  }

  void work() {
    unsigned long seen = 0;
    for (;;) {
      poll(seen);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        // Joining happens under the lock that closes the job: either the caller will wait for this worker,
        // or the job is already closed and its fn_ and tasks_ must not be touched.
        if (!open_) continue;
        active_++;
      }
      drain();
      active_.fetch_sub(1, std::memory_order_acq_rel);
      // Taking the lock orders this notify after the caller's check of active_ if it is about to sleep, so
      // the wake-up is not lost; a caller that is polling never sleeps.
      { std::lock_guard<std::mutex> lock(mutex_); }
      done_.notify_one();
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* fn_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};
  bool open_ = false;         // guarded by mutex_: workers may still join the current job
  std::atomic<int> active_{0};  // workers inside the current job (joined under mutex_)
  unsigned long generation_ = 0;                // guarded by mutex_
  std::atomic<unsigned long> published_{0};     // generation_, for polling workers
  const long spin_us_ = configured_spin_us();
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static Pool* instance = new Pool(configured_threads());
  return *instance;
}

}  // namespace

int thread_count() { return pool().threads(); }

void parallel_for(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (!batch_invariant()) {
    pool().run(tasks, fn);
    return;
  }
  // The caller's batch-invariant kernels (cpu.h) on whichever thread runs each task.
  pool().run(tasks, [&fn](int t) {
    const bool before = batch_invariant();
    set_batch_invariant(true);
    fn(t);
    set_batch_invariant(before);
  });
}

int chunks_for(double work, double grain) {
  int threads = thread_count();
  if (threads == 1 || work < grain * 2) return 1;
  double c = work / grain;
  return c < threads ? static_cast<int>(c) : threads;
}

}  // namespace attn

#endif  // ATTN_WASM_WORKERS, ATTN_SINGLE_THREAD
