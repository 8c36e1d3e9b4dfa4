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

TEST(IsvcLogs, ContainerRunsReadTheirOwnLines) {
  IsvcLogs logs;
  std::vector<std::string> heard;
  logs.SetListener([&](const std::string&, const std::string& name, const LogEntry& e) {
    heard.push_back(name + ":" + e.source.pod + ":" + e.text);
  });
  logs.Append("ns", "a", LogSource{"pod-1", "storage-initializer", 0}, "download failed");
  logs.Append("ns", "a", LogSource{"pod-1", "storage-initializer", 1}, "downloaded");
  // Lines without a source go to the serving pod's kserve-container.
  logs.Append("ns", "a", "before any pod serves");
  logs.SetServingPod("ns", "a", "pod-1", 0);
  logs.Append("ns", "a", "predictor: HTTP 400");
  auto never = std::chrono::system_clock::time_point{};
  auto init0 = logs.ForContainer("ns", "a", "pod-1", "storage-initializer", 0, never, -1);
  ASSERT_EQ(init0.size(), 1u);
  EXPECT_EQ(init0[0].text, "download failed");
  auto init1 = logs.ForContainer("ns", "a", "pod-1", "storage-initializer", 1, never, -1);
  ASSERT_EQ(init1.size(), 1u);
  EXPECT_EQ(init1[0].text, "downloaded");
  auto main = logs.ForContainer("ns", "a", "pod-1", "kserve-container", 0, never, -1);
  ASSERT_EQ(main.size(), 1u);
  EXPECT_EQ(main[0].text, "predictor: HTTP 400");
  EXPECT_TRUE(logs.ForContainer("ns", "a", "pod-2", "kserve-container", 0, never, -1).empty());
  auto future = std::chrono::system_clock::now() + std::chrono::hours(1);
  EXPECT_TRUE(logs.ForContainer("ns", "a", "pod-1", "kserve-container", 0, future, -1).empty());
  EXPECT_EQ(logs.ForContainer("ns", "a", "pod-1", "storage-initializer", 1, never, 0).size(), 0u);
  // The whole InferenceService log still has every line, in order.
  EXPECT_EQ(logs.Tail("ns", "a").size(), 4u);
  ASSERT_EQ(heard.size(), 4u);
  EXPECT_EQ(heard[3], "a:pod-1:predictor: HTTP 400");
}

}  // namespace
}  // namespace ferry::api
