#include "serving/executor.h"

#include <dirent.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::serving {
namespace {

// Threads of this process now (/proc/self/task).
int ThreadCount() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

TEST(ExecutorTest, StartsNoThreadUntilTheFirstTask) {
  const int before = ThreadCount();
  Executor executor(4, 16);
  EXPECT_EQ(ThreadCount(), before);
  std::promise<void> ran;
  ASSERT_TRUE(executor.Submit([&] { ran.set_value(); }));
  ran.get_future().wait();
  EXPECT_EQ(ThreadCount(), before + 4);
}

TEST(ExecutorTest, DestroyedUnusedReturnsAtOnce) {
  for (int i = 0; i < 100; ++i) {
    Executor executor(2, 16);
  }
}

TEST(ExecutorTest, RunsEveryQueuedTaskInOrderBeforeItIsDestroyed) {
  std::vector<int> order;
  std::mutex mu;
  {
    Executor executor(1, 64);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(executor.Submit([&, i] {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      }));
    }
  }
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(ExecutorTest, RefusesATaskBeyondTheQueueBound) {
  std::mutex gate;
  std::condition_variable cv;
  bool open = false;
  std::promise<void> started;
  std::atomic<int> ran{0};
  Executor executor(1, 2);  // destroyed first: its queued tasks use the above
  auto blocker = [&] {
    started.set_value();
    std::unique_lock<std::mutex> lock(gate);
    cv.wait(lock, [&] { return open; });
  };
  ASSERT_TRUE(executor.Submit(blocker));
  started.get_future().wait();  // the one worker is busy; the queue is empty
  EXPECT_TRUE(executor.Submit([&] { ++ran; }));
  EXPECT_TRUE(executor.Submit([&] { ++ran; }));
  EXPECT_FALSE(executor.Submit([&] { ++ran; }));
  {
    std::lock_guard<std::mutex> lock(gate);
    open = true;
  }
  cv.notify_all();
}

}  // namespace
}  // namespace ferry::serving
