#include "logger/dispatcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace ferry::logger {
namespace {

using std::chrono::milliseconds;

Event MakeEvent(std::string body) {
  Event e;
  e.target = std::make_shared<EventTarget>(EventTarget{"http://127.0.0.1:1/", ""});
  e.data = std::move(body);
  return e;
}

// A transport whose answers the test scripts; it can hold senders until released.
class Scripted {
 public:
  // One event per call, as a receiver answering each POST.
  Transport transport() {
    return [this](const std::vector<const Event*>& batch) {
      std::vector<SendOutcome> out;
      for (const Event* e : batch) out.push_back(One(*e));
      return out;
    };
  }
  SendOutcome One(const Event& e) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++calls_;
      bodies_.emplace_back(e.body());
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      if (!script_.empty()) {
        SendOutcome next = script_.front();
        script_.pop_front();
        return next;
      }
      return answer_;
    }
  }
  void Hold() { std::lock_guard<std::mutex> l(mu_); hold_ = true; }
  void Release() {
    { std::lock_guard<std::mutex> l(mu_); hold_ = false; }
    cv_.notify_all();
  }
  void Answer(SendOutcome o) { std::lock_guard<std::mutex> l(mu_); answer_ = o; }
  // Answers of the next calls, in order, before the standing answer.
  void Script(std::deque<SendOutcome> s) { std::lock_guard<std::mutex> l(mu_); script_ = s; }
  void WaitCalls(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return calls_ >= n; });
  }
  int calls() { std::lock_guard<std::mutex> l(mu_); return calls_; }
  std::vector<std::string> bodies() { std::lock_guard<std::mutex> l(mu_); return bodies_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  int calls_ = 0;
  std::vector<std::string> bodies_;
  SendOutcome answer_{true, false, ""};
  std::deque<SendOutcome> script_;
};

void WaitDone(Dispatcher& d, uint64_t n) {
  while (d.counts().sent + d.counts().failed < n) std::this_thread::yield();
}

TEST(BackoffTest, DoublesFromInitialUpToMax) {
  DispatcherOptions o;
  o.initial_backoff = milliseconds(100);
  o.max_backoff = milliseconds(350);
  EXPECT_EQ(BackoffDelay(o, 2), milliseconds(100));
  EXPECT_EQ(BackoffDelay(o, 3), milliseconds(200));
  EXPECT_EQ(BackoffDelay(o, 4), milliseconds(350));
  EXPECT_EQ(BackoffDelay(o, 30), milliseconds(350));
}

TEST(DispatcherTest, SendsInOrderAndCounts) {
  Scripted s;
  DispatcherOptions o;
  o.threads = 1;
  Dispatcher d(o, s.transport());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(d.Enqueue(MakeEvent(std::to_string(i))));
  WaitDone(d, 5);
  EXPECT_EQ(s.bodies(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  auto c = d.counts();
  EXPECT_EQ(c.sent, 5u);
  EXPECT_EQ(c.failed + c.dropped + c.retries, 0u);
}

TEST(DispatcherTest, FullQueueDropsWithoutWaiting) {
  Scripted s;
  s.Hold();  // the receiver hangs: the sender stays in its first send
  DispatcherOptions o;
  o.threads = 1;
  o.max_events = 3;
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("in-flight")));
  s.WaitCalls(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(d.Enqueue(MakeEvent("q")));
  EXPECT_FALSE(d.Enqueue(MakeEvent("over")));
  EXPECT_FALSE(d.Enqueue(MakeEvent("over")));
  auto c = d.counts();
  EXPECT_EQ(c.dropped, 2u);
  EXPECT_EQ(c.queued, 3u);
  s.Release();
  WaitDone(d, 4);
  EXPECT_EQ(d.counts().sent, 4u);
  EXPECT_EQ(d.counts().queued, 0u);
}

TEST(DispatcherTest, QueueIsBoundedByBytes) {
  Scripted s;
  s.Hold();
  DispatcherOptions o;
  o.threads = 1;
  o.max_bytes = 100;
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("x")));
  s.WaitCalls(1);
  EXPECT_TRUE(d.Enqueue(MakeEvent(std::string(60, 'a'))));
  EXPECT_FALSE(d.Enqueue(MakeEvent(std::string(60, 'b'))));  // 60 + 60 > 100
  EXPECT_EQ(d.counts().dropped, 1u);
  s.Release();
}

TEST(DispatcherTest, RetryableFailureIsRetriedThenCountedFailed) {
  Scripted s;
  s.Answer({false, true, "connection refused"});
  DispatcherOptions o;
  o.threads = 1;
  o.max_attempts = 3;
  o.initial_backoff = milliseconds(1);
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("e")));
  WaitDone(d, 1);
  EXPECT_EQ(s.calls(), 3);
  auto c = d.counts();
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.retries, 2u);
  EXPECT_EQ(c.sent, 0u);
}

TEST(DispatcherTest, ReceiverRecoveringWithinRetriesCountsSent) {
  Scripted s;
  s.Script({{false, true, "HTTP 503"}, {false, true, "HTTP 429"}});
  DispatcherOptions o;
  o.threads = 1;
  o.max_attempts = 5;
  o.initial_backoff = milliseconds(1);
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("e")));
  WaitDone(d, 1);
  EXPECT_EQ(d.counts().sent, 1u);
  EXPECT_EQ(d.counts().retries, 2u);
  EXPECT_EQ(s.calls(), 3);
}

TEST(DispatcherTest, OnlyTheFailedEventsOfABatchAreRetried) {
  DispatcherOptions o;
  o.threads = 1;
  o.initial_backoff = milliseconds(1);
  std::mutex mu;
  std::vector<std::vector<std::string>> batches;
  Transport t = [&](const std::vector<const Event*>& batch) {
    std::vector<SendOutcome> out;
    std::lock_guard<std::mutex> l(mu);
    batches.emplace_back();
    for (const Event* e : batch) {
      batches.back().emplace_back(e->body());
      // "b" fails once (retryable), "c" is refused (not retryable).
      bool first = batches.size() == 1;
      if (e->body() == "b" && first) {
        out.push_back({false, true, "HTTP 503"});
      } else if (e->body() == "c") {
        out.push_back({false, false, "HTTP 400"});
      } else {
        out.push_back({true, false, ""});
      }
    }
    return out;
  };
  Dispatcher d(o, t);
  {
    // Queued before the sender can look, so they travel as one batch.
    std::lock_guard<std::mutex> l(mu);
    for (const char* b : {"a", "b", "c"}) ASSERT_TRUE(d.Enqueue(MakeEvent(b)));
  }
  WaitDone(d, 3);
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(batches[1], (std::vector<std::string>{"b"}));
  EXPECT_EQ(d.counts().sent, 2u);
  EXPECT_EQ(d.counts().failed, 1u);
  EXPECT_EQ(d.counts().retries, 1u);
}

TEST(DispatcherTest, ClientErrorIsNotRetried) {
  Scripted s;
  s.Answer({false, false, "HTTP 400"});
  DispatcherOptions o;
  o.threads = 2;
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("e")));
  WaitDone(d, 1);
  EXPECT_EQ(s.calls(), 1);
  EXPECT_EQ(d.counts().failed, 1u);
  EXPECT_EQ(d.counts().retries, 0u);
}

TEST(DispatcherTest, ShutdownDropsWhatIsQueuedAndRefusesMore) {
  Scripted s;
  s.Hold();
  DispatcherOptions o;
  o.threads = 1;
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("in-flight")));
  s.WaitCalls(1);
  ASSERT_TRUE(d.Enqueue(MakeEvent("a")));
  ASSERT_TRUE(d.Enqueue(MakeEvent("b")));
  std::thread stopper([&] { d.Shutdown(); });
  while (d.counts().dropped < 2) std::this_thread::yield();
  s.Release();
  stopper.join();
  EXPECT_FALSE(d.Enqueue(MakeEvent("late")));
  auto c = d.counts();
  EXPECT_EQ(c.dropped, 3u);
  EXPECT_EQ(c.sent, 1u);
  EXPECT_EQ(s.calls(), 1);
}

TEST(DispatcherTest, ShutdownCutsBackoffShort) {
  Scripted s;
  s.Answer({false, true, "refused"});
  DispatcherOptions o;
  o.threads = 1;
  o.max_attempts = 100;
  o.initial_backoff = std::chrono::hours(1);
  o.max_backoff = std::chrono::hours(1);
  Dispatcher d(o, s.transport());
  ASSERT_TRUE(d.Enqueue(MakeEvent("e")));
  s.WaitCalls(1);
  d.Shutdown();  // returns although the next attempt is an hour away
  EXPECT_EQ(d.counts().failed, 1u);
}

TEST(DispatcherTest, MetricsNameEveryCounter) {
  Scripted s;
  Dispatcher d(DispatcherOptions{}, s.transport());
  std::string out;
  d.RenderMetrics(out);
  for (const char* m : {"ferry_payload_log_events_sent_total 0",
                        "ferry_payload_log_events_failed_total 0",
                        "ferry_payload_log_events_dropped_total 0",
                        "ferry_payload_log_retries_total 0", "ferry_payload_log_events_queued 0",
                        "# TYPE ferry_payload_log_events_queued gauge"}) {
    EXPECT_NE(out.find(m), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace ferry::logger
