// Executor: a fixed pool of worker threads with a bounded queue, one per
// model, so a slow predict never blocks an I/O thread and one model's load
// cannot starve another's.
//
// The rule (predict_call.h's RunsInline, applied by serving/dispatch.h for REST
// and gRPC alike): a call runs inline on its I/O thread only when it has at most
// 256 rows, is not an explanation (contributions), and the model's moving
// average of predict time (ModelEntry::ewma_predict_us: the first predict sets
// it, each later non-explanation predict weighs 0.1) is at most 250 µs
// (ModelRouterOptions::inline_threshold_us, inline_max_rows). Every other call
// runs here (a ModelEntry without an executor, as in some tests, runs every
// call inline). So an I/O thread is held only by predicts the average has not
// caught yet: a model's first, and the first one or few after its predicts slow
// down; from then on that model's predicts wait here while the I/O thread
// answers its other connections (server/model_router_test.cc holds such a
// predict and checks it).
//
// Threads: Submit() is thread-safe. Tasks run on the workers in FIFO order.
// The workers start on the first Submit(), not at construction: most models
// answer every request inline and never need them, and a server holding many
// models (or one starting up) would otherwise pay for threads that only wait.
// The destructor finishes queued tasks, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::serving {

class Executor {
 public:
  Executor(int threads, size_t max_queue);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false when the queue is full (the caller answers 503/429).
  bool Submit(std::function<void()> task);

 private:
  void Work();

  const int thread_count_;
  const size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;        // guarded by mu_; started by the first Submit
};

}  // namespace ferry::serving
