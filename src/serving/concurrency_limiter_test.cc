#include "serving/concurrency_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::serving {
namespace {

// Requests that hold their slot until the test ends them.
struct Held {
  std::vector<int> started;
  bool Enter(ConcurrencyLimiter& l, int id) {
    return l.Enter([this, id] { started.push_back(id); });
  }
};

TEST(ConcurrencyLimiter, AdmitsCapacityQueuesTenTimesThenRefuses) {
  Metrics metrics;
  Metrics::ModelCounters* counters = metrics.Register("ns/m");
  const int n = 2;
  ConcurrencyLimiter l(n, ConcurrencyLimiter::DefaultQueueDepth(n), counters);
  EXPECT_EQ(l.queue_depth(), 20);
  Held h;
  for (int i = 0; i < n + 20; ++i) EXPECT_TRUE(h.Enter(l, i)) << i;
  EXPECT_EQ(h.started, (std::vector<int>{0, 1}));  // the rest wait
  EXPECT_EQ(l.in_flight(), 2);
  EXPECT_EQ(l.queued(), 20);
  EXPECT_FALSE(h.Enter(l, 99));  // the (N + queue + 1)th
  EXPECT_EQ(counters->in_flight.load(), 2);
  EXPECT_EQ(counters->queued.load(), 20);
  std::string rendered = metrics.Render();
  EXPECT_NE(rendered.find("ferry_model_requests_queued{model=\"ns/m\"} 20"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("ferry_model_concurrency_limit{model=\"ns/m\"} 2"), std::string::npos);

  // Each answer hands its slot to the oldest waiting request.
  l.Leave();
  EXPECT_EQ(h.started.back(), 2);
  EXPECT_EQ(l.in_flight(), 2);
  EXPECT_EQ(l.queued(), 19);
  EXPECT_TRUE(h.Enter(l, 100));  // room again
  for (int i = 0; i < 22; ++i) l.Leave();
  EXPECT_EQ(h.started.size(), 23u);
  EXPECT_EQ(h.started.back(), 100);
  EXPECT_EQ(l.in_flight(), 0);
  EXPECT_EQ(l.queued(), 0);
  EXPECT_EQ(counters->in_flight.load(), 0);
  EXPECT_EQ(counters->queued.load(), 0);
}

TEST(ConcurrencyLimiter, ZeroQueueRefusesAsSoonAsFull) {
  ConcurrencyLimiter l(1, 0);
  Held h;
  EXPECT_TRUE(h.Enter(l, 0));
  EXPECT_FALSE(h.Enter(l, 1));
  l.Leave();
  EXPECT_TRUE(h.Enter(l, 2));
  EXPECT_EQ(h.started, (std::vector<int>{0, 2}));
  EXPECT_NE(l.RefusalMessage("iris").find("iris"), std::string::npos);
  EXPECT_NE(l.RefusalMessage("iris").find("containerConcurrency"), std::string::npos);
}

// Requests that answer at once (inline predicts) hand over in a loop: a long
// queue drains without nesting one call per waiting request.
TEST(ConcurrencyLimiter, ALongQueueOfInstantRequestsDrainsWithoutRecursion) {
  const int depth = 200000;
  ConcurrencyLimiter l(1, depth);
  int done = 0;
  int max_nesting = 0, nesting = 0;
  std::function<void()> instant = [&] {
    ++nesting;
    max_nesting = std::max(max_nesting, nesting);
    ++done;
    l.Leave();
    --nesting;
  };
  // Hold the slot so every other request queues, then let go.
  ASSERT_TRUE(l.Enter([] {}));
  for (int i = 0; i < depth; ++i) ASSERT_TRUE(l.Enter(instant));
  l.Leave();
  EXPECT_EQ(done, depth);
  EXPECT_EQ(max_nesting, 1);
  EXPECT_EQ(l.in_flight(), 0);
}

TEST(ConcurrencyLimiter, NeverMoreThanCapacityAcrossThreads) {
  const int cap = 3;
  ConcurrencyLimiter l(cap, 1000);
  std::atomic<int> running{0}, peak{0}, done{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        bool ok = l.Enter([&] {
          int now = ++running;
          int p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
          std::this_thread::yield();
          --running;
          ++done;
          l.Leave();
        });
        if (!ok) ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), cap);
  EXPECT_EQ(done.load() + refused.load(), 800);
  EXPECT_EQ(l.in_flight(), 0);
  EXPECT_EQ(l.queued(), 0);
}

}  // namespace
}  // namespace ferry::serving
