#include "serving/traffic_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

namespace ferry::serving {
namespace {

using Clock = TrafficSeries::Clock;

// A fixed instant at the start of a 10-second period.
Clock::time_point At(int64_t seconds) {
  return Clock::time_point(std::chrono::seconds(1'700'000'000 + seconds));
}

TEST(TrafficSeries, CountsRequestsAndErrorsPerBucket) {
  auto s = std::make_unique<TrafficSeries>();
  s->Record(At(0), 200, 0.001);
  s->Record(At(3), 200, 0.001);
  s->Record(At(9), 404, 0.001);
  s->Record(At(10), 503, 0.001);  // the next bucket
  auto pts = s->Snapshot(At(15));
  ASSERT_EQ(pts.size(), TrafficSeries::kBuckets);
  const auto& now = pts.back();
  const auto& before = pts[pts.size() - 2];
  EXPECT_EQ(now.start_ms, (1'700'000'000LL + 10) * 1000);
  EXPECT_EQ(before.start_ms, (1'700'000'000LL) * 1000);
  EXPECT_EQ(before.requests, 3u);
  EXPECT_EQ(before.client_errors, 1u);
  EXPECT_EQ(before.server_errors, 0u);
  EXPECT_EQ(now.requests, 1u);
  EXPECT_EQ(now.server_errors, 1u);
  EXPECT_EQ(pts[0].requests, 0u);
  EXPECT_EQ(pts[0].start_ms, now.start_ms - 359 * 10'000);
}

TEST(TrafficSeries, BucketIsReusedAfterAnHourAndOldPeriodsDropOut) {
  auto s = std::make_unique<TrafficSeries>();
  for (int i = 0; i < 5; ++i) s->Record(At(0), 200, 0.002);
  // An hour later the same ring slot holds the new period: old counts are gone.
  s->Record(At(3600), 200, 0.002);
  auto pts = s->Snapshot(At(3600));
  EXPECT_EQ(pts.back().requests, 1u);
  uint64_t total = 0;
  for (const auto& p : pts) total += p.requests;
  EXPECT_EQ(total, 1u);
  // Seen from 59 minutes 50 seconds later, the first period is the oldest shown.
  auto s2 = std::make_unique<TrafficSeries>();
  s2->Record(At(0), 200, 0.002);
  auto older = s2->Snapshot(At(3590));
  EXPECT_EQ(older.front().requests, 1u);
  auto gone = s2->Snapshot(At(3600));
  for (const auto& p : gone) EXPECT_EQ(p.requests, 0u);
}

TEST(TrafficSeries, ClockGoingBackDoesNotCorruptNewerBucket) {
  auto s = std::make_unique<TrafficSeries>();
  s->Record(At(3600), 200, 0.001);
  s->Record(At(0), 200, 0.001);  // same slot, an older period: dropped
  EXPECT_EQ(s->Snapshot(At(3600)).back().requests, 1u);
}

TEST(TrafficSeries, QuantilesFromTheHistogram) {
  auto s = std::make_unique<TrafficSeries>();
  // 98 fast requests (1 ms) and 2 slow ones (200 ms): p50 near 1 ms, p99 near 200 ms.
  for (int i = 0; i < 98; ++i) s->Record(At(0), 200, 0.001);
  for (int i = 0; i < 2; ++i) s->Record(At(0), 200, 0.2);
  auto p = s->Snapshot(At(0)).back();
  // One bin spans a factor of sqrt(2).
  EXPECT_GT(p.p50_seconds, 0.001 / 1.42);
  EXPECT_LE(p.p50_seconds, 0.001 * 1.42);
  EXPECT_GT(p.p99_seconds, 0.2 / 1.42);
  EXPECT_LE(p.p99_seconds, 0.2 * 1.42);
}

TEST(TrafficSeries, QuantileEdges) {
  std::array<uint32_t, TrafficSeries::kLatencyBins> bins{};
  EXPECT_EQ(TrafficSeries::Quantile(bins, 0.5), 0);
  bins[TrafficSeries::kLatencyBins - 1] = 1;  // slower than every bound
  EXPECT_GT(TrafficSeries::Quantile(bins, 0.99), 160.0);
  EXPECT_EQ(TrafficSeries::BinOf(0), 0u);
  EXPECT_EQ(TrafficSeries::BinOf(-1), 0u);
  EXPECT_EQ(TrafficSeries::BinOf(1e9), TrafficSeries::kLatencyBins - 1);
  // Bins are monotonic and each bound is sqrt(2) times the previous one.
  size_t prev = 0;
  for (double v = 1e-6; v < 1000; v *= 1.1) {
    size_t b = TrafficSeries::BinOf(v);
    EXPECT_GE(b, prev) << v;
    prev = b;
  }
  EXPECT_EQ(TrafficSeries::BinOf(20e-6), 2u);    // 2 * 10 us is the bound of bin 2
  EXPECT_EQ(TrafficSeries::BinOf(20.1e-6), 3u);
  EXPECT_EQ(TrafficSeries::BinOf(std::numeric_limits<double>::infinity()),
            TrafficSeries::kLatencyBins - 1);
  EXPECT_EQ(TrafficSeries::BinOf(std::nan("")), 0u);
}

// The bin is the ceiling of 2*log2(seconds / 10 us), as frexp splits the ratio, at every bound
// (exactly, and a step either side) and between them.
TEST(TrafficSeries, BinOfIsTheCeilingOfTwiceTheLog2) {
  auto reference = [](double seconds) -> size_t {
    double v = seconds / TrafficSeries::kFirstBinSeconds;
    if (!(v > 1)) return 0;
    int e = 0;
    double m = std::frexp(v, &e);
    long bin = m > M_SQRT1_2 ? 2L * e : (m > 0.5 ? 2L * e - 1 : 2L * e - 2);
    if (bin < 0) return 0;
    return std::min(static_cast<size_t>(bin), TrafficSeries::kLatencyBins - 1);
  };
  for (int i = 0; i < 60; ++i) {
    const double bound = TrafficSeries::kFirstBinSeconds * std::exp2(i / 2.0);
    for (double v : {bound, std::nextafter(bound, 0.0), std::nextafter(bound, 1e9), bound * 1.2}) {
      EXPECT_EQ(TrafficSeries::BinOf(v), reference(v)) << v;
    }
  }
  for (double v = 1e-7; v < 1e4; v *= 1.01) EXPECT_EQ(TrafficSeries::BinOf(v), reference(v)) << v;
}

TEST(TrafficSeries, ConcurrentWritersCountEverySampleOfAClaimedBucket) {
  auto s = std::make_unique<TrafficSeries>();
  constexpr int kThreads = 4, kPerThread = 20000;
  s->Record(At(5), 200, 0.001);  // claims the first period before the writers start
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s] {
      for (int i = 0; i < kPerThread; ++i) s->Record(At(i < kPerThread / 2 ? 5 : 12), 200, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  auto pts = s->Snapshot(At(12));
  uint64_t first = pts[pts.size() - 2].requests, second = pts.back().requests;
  EXPECT_EQ(first, uint64_t{kThreads} * kPerThread / 2 + 1);  // none lost, none doubled
  // The second period's claim races with the other writers: samples that meet
  // the reset are dropped, none is counted twice.
  EXPECT_LE(second, uint64_t{kThreads} * kPerThread / 2);
  EXPECT_GT(second, 0u);
}

TEST(TrafficSeries, BeforeItsFirstRecordTheSnapshotIsAllZero) {
  auto s = std::make_unique<TrafficSeries>();
  auto pts = s->Snapshot(At(12));
  auto empty = TrafficSeries::EmptySnapshot(At(12));
  ASSERT_EQ(pts.size(), TrafficSeries::kBuckets);
  for (size_t i = 0; i < pts.size(); ++i) {
    EXPECT_EQ(pts[i].start_ms, empty[i].start_ms);
    EXPECT_EQ(pts[i].requests, 0u);
  }
  s->Record(At(12), 200, 0.001);
  EXPECT_EQ(s->Snapshot(At(12)).back().requests, 1u);
}

TEST(TrafficSeries, ConcurrentFirstRecordsInstallOneRingAndLoseNoSample) {
  // Every writer's first Record races to allocate the ring: one wins, the
  // others use it, so each sample lands in the same ring.
  for (int round = 0; round < 20; ++round) {
    auto s = std::make_unique<TrafficSeries>();
    constexpr int kThreads = 4, kPerThread = 50;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&s] {
        for (int i = 0; i < kPerThread; ++i) s->Record(At(2), 200, 0.001);
      });
    }
    for (auto& t : threads) t.join();
    // The first period's claim can drop samples that meet its reset; none is
    // counted twice, and at least the claimer's own sample is there.
    uint64_t n = s->Snapshot(At(2)).back().requests;
    EXPECT_LE(n, uint64_t{kThreads} * kPerThread);
    EXPECT_GT(n, 0u);
  }
}

TEST(TrafficSeries, JsonHasOneValuePerBucket) {
  auto s = std::make_unique<TrafficSeries>();
  s->Record(At(0), 500, 0.0125);
  std::string j = TrafficSeries::ToJson(s->Snapshot(At(0)));
  EXPECT_EQ(j.rfind("{\"bucketSeconds\":10,\"start\":", 0), 0u) << j.substr(0, 80);
  EXPECT_NE(j.find(",0,1],\"p50Ms\""), std::string::npos);  // serverErrors ends with the 1
  size_t commas = 0;
  size_t from = j.find("\"requests\":[");
  for (size_t i = from; j[i] != ']'; ++i) commas += j[i] == ',';
  EXPECT_EQ(commas, TrafficSeries::kBuckets - 1);
}

}  // namespace
}  // namespace ferry::serving
