#include "api/isvc_logs.h"

#include <gtest/gtest.h>

namespace ferry::api {
namespace {

TEST(IsvcLogs, TailAndBound) {
  IsvcLogs logs(3);
  for (int i = 0; i < 5; ++i) logs.Append("ns", "a", "line " + std::to_string(i));
  logs.Append("ns", "b", "other");
  auto all = logs.Tail("ns", "a");
  ASSERT_EQ(all.size(), 3u);  // the oldest two fell out of the ring
  EXPECT_NE(all[0].find(" line 2"), std::string::npos);
  EXPECT_NE(all[2].find(" line 4"), std::string::npos);
  auto last = logs.Tail("ns", "a", 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_NE(last[0].find(" line 4"), std::string::npos);
  EXPECT_TRUE(logs.Tail("ns", "a", 0).empty());
  EXPECT_TRUE(logs.Tail("ns", "missing").empty());
  // "2026-11-27T17:00:00.123Z line": an RFC 3339 timestamp with milliseconds.
  EXPECT_EQ(all[0][10], 'T');
  EXPECT_EQ(all[0][23], 'Z');
  logs.Forget("ns", "a");
  EXPECT_TRUE(logs.Tail("ns", "a").empty());
  EXPECT_EQ(logs.Tail("ns", "b").size(), 1u);
}

TEST(IsvcLogs, BoundsTheNumberOfServices) {
  IsvcLogs logs(10, 2);
  logs.Append("ns", "a", "x");
  logs.Append("ns", "b", "x");
  logs.Append("ns", "c", "x");
  int kept = 0;
  for (const char* n : {"a", "b", "c"}) kept += logs.Tail("ns", n).empty() ? 0 : 1;
  EXPECT_EQ(kept, 2);
  EXPECT_EQ(logs.Tail("ns", "c").size(), 1u);
}

}  // namespace
}  // namespace ferry::api
