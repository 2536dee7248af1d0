#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace attn {
namespace {

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
    }
    wake_.notify_all();
    drain();
    // Close the job, then wait only for the workers that joined it. Waking a sleeping thread takes tens of
    // microseconds on a VM; a worker that wakes after the calling thread has taken every task finds the job
    // closed and goes back to sleep, so a small job never waits for it (the old pool waited for every worker).
    std::unique_lock<std::mutex> lock(mutex_);
    open_ = false;
    done_.wait(lock, [this] { return active_ == 0; });
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

  void work() {
    unsigned long seen = 0;
    for (;;) {
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
      {
        std::lock_guard<std::mutex> lock(mutex_);
        active_--;
      }
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
  int active_ = 0;            // guarded by mutex_: workers inside the current job
  unsigned long generation_ = 0;
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
  pool().run(tasks, fn);
}

int chunks_for(double work, double grain) {
  int threads = thread_count();
  if (threads == 1 || work < grain * 2) return 1;
  double c = work / grain;
  return c < threads ? static_cast<int>(c) : threads;
}

}  // namespace attn
