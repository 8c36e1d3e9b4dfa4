// IoBalance on real threads' CPU clocks: where new connections go and when one moves.
#include "http/io_balance.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace ferry::http::internal {
namespace {

// Two threads for the balance to measure: the first spins `busy_ms` at a time when asked.
class Threads {
 public:
  Threads() {
    spinner_ = std::thread([this] {
      while (!stop_) {
        if (spin_) {
          auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(150);
          while (std::chrono::steady_clock::now() < until) {
          }
          spin_ = false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    idler_ = std::thread([this] {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  ~Threads() {
    stop_ = true;
    spinner_.join();
    idler_.join();
  }
  void Attach(IoBalance& b) {
    b.SetThread(0, spinner_.native_handle());
    b.SetThread(1, idler_.native_handle());
  }
  void Spin() {
    spin_ = true;
    while (spin_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

 private:
  std::atomic<bool> stop_{false}, spin_{false};
  std::thread spinner_, idler_;
};

TEST(IoBalanceTest, SpreadPlacesOnTheThreadWithFewestConnectionsAndNeverMoves) {
  IoBalance b(3, {.pack = false});
  std::atomic<int64_t> conns[3] = {2, 1, 1};
  EXPECT_EQ(b.Place(conns), 1u);
  conns[1] = 3;
  EXPECT_EQ(b.Place(conns), 2u);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(b.MoveTarget(0, 100), 0u);
}

TEST(IoBalanceTest, PacksOntoTheFirstThreadWhileItIsNotBusy) {
  Threads threads;
  IoBalance b(2, {});
  threads.Attach(b);
  std::atomic<int64_t> conns[2] = {8, 0};
  EXPECT_EQ(b.Place(conns), 0u);  // idle: packed, whatever the counts
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(b.MoveTarget(0, 8), 0u);  // nothing moves
}

TEST(IoBalanceTest, ABusyThreadGetsNoNewConnectionsAndMovesHalfOfItsOwn) {
  Threads threads;
  IoBalance b(2, {.pack_below = 100, .check_every = 1});
  threads.Attach(b);
  threads.Spin();  // thread 0 busy through a whole window, thread 1 idle
  ASSERT_GT(b.Busy(0), 100) << "the spinning thread hardly ran in 150 ms";
  EXPECT_LT(b.Busy(1), 100);
  std::atomic<int64_t> conns[2] = {0, 5};
  EXPECT_EQ(b.Place(conns), 1u);
  // Over the threshold (0 here): half of its 6 connections move, one per answer.
  IoBalance shed(2, {.shed_above = 0, .check_every = 6});
  threads.Attach(shed);
  threads.Spin();
  int moved = 0;
  for (int i = 0; i < 6; ++i) moved += shed.MoveTarget(0, 6) == 1;
  EXPECT_EQ(moved, 3);
  // One connection never moves.
  IoBalance one(2, {.shed_above = -1, .check_every = 1});
  threads.Attach(one);
  EXPECT_EQ(one.MoveTarget(0, 1), 0u);
  EXPECT_EQ(one.MoveTarget(0, 2), 1u);
}

TEST(IoBalanceTest, NothingMovesToAThreadThatIsItselfBusy) {
  Threads threads;
  IoBalance b(2, {.pack_below = 0, .shed_above = -1, .check_every = 1});
  threads.Attach(b);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(b.MoveTarget(0, 10), 0u);  // busy 0 is not below 0
}

}  // namespace
}  // namespace ferry::http::internal
