#include "common/deadline.h"

#include <gtest/gtest.h>

#include <thread>

namespace ferry {
namespace {

using namespace std::chrono_literals;

TEST(Deadline, NoneSetIsAlwaysOk) {
  EXPECT_EQ(CurrentDeadline(), kNoDeadline);
  EXPECT_TRUE(CheckDeadline().ok());
}

TEST(Deadline, PassedDeadlineNamesTheWork) {
  {
    ScopedDeadline d(DeadlineClock::now() - 5ms, "predict of model iris");
    Status s = CheckDeadline();
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
    EXPECT_NE(s.message().find("predict of model iris ran past its deadline"), std::string::npos)
        << s.message();
  }
  EXPECT_TRUE(CheckDeadline().ok());  // restored
}

TEST(Deadline, NestedKeepsTheEarlierAndRestores) {
  auto far = DeadlineClock::now() + 1h;
  ScopedDeadline outer(far, "outer");
  {
    ScopedDeadline later(far + 1h, "later");
    EXPECT_EQ(CurrentDeadline(), far);  // a later inner deadline does not extend
  }
  {
    ScopedDeadline inner(DeadlineClock::now() - 1ms, "inner");
    EXPECT_NE(CheckDeadline().message().find("inner"), std::string::npos);
  }
  EXPECT_EQ(CurrentDeadline(), far);
  EXPECT_TRUE(CheckDeadline().ok());
}

TEST(Deadline, IsPerThread) {
  ScopedDeadline d(DeadlineClock::now() - 1ms, "main");
  bool other_ok = false;
  std::thread([&] { other_ok = CheckDeadline().ok(); }).join();
  EXPECT_TRUE(other_ok);
  EXPECT_FALSE(CheckDeadline().ok());
}

}  // namespace
}  // namespace ferry
