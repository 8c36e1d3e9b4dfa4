// TrafficSeries: one model's inference traffic over the last hour, for the
// dashboard's charts — 360 buckets of 10 seconds in a ring, each with its
// request count, 4xx and 5xx counts and a small log-scale latency histogram
// (p50/p99 are read from it). Memory is fixed (about 80 KB per model),
// allocated by the model's first recorded request: a model that has not
// served yet costs one pointer (its start does not zero 80 KB of pages).
//
// Who calls it: the request path (ModelRouter's Call::Reply and the gRPC
// ModelInfer) records every inference request after its answer is ready;
// `ferry up`'s API reads a Snapshot for
// `GET .../inferenceservices/NAME/series`.
//
// Threads: Record is lock-free and, after its first call, allocation-free
// (relaxed atomics; concurrent first calls race to install the ring with one
// compare-exchange and the losers free theirs). A
// bucket is reused for a new 10-second period by the first writer of that
// period, which claims it with one compare-exchange and zeroes it; a writer
// arriving while another zeroes the bucket (tens of nanoseconds, once per
// 10 s) drops its sample from the chart rather than wait. Snapshot may run on
// any thread at the same time; it skips a bucket that is being reset.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::serving {

class TrafficSeries {
 public:
  TrafficSeries() = default;
  ~TrafficSeries();
  TrafficSeries(const TrafficSeries&) = delete;
  TrafficSeries& operator=(const TrafficSeries&) = delete;

  static constexpr int64_t kBucketSeconds = 10;
  static constexpr size_t kBuckets = 360;  // one hour
  // Latency bins: bin i holds latencies up to kFirstBinSeconds * 2^(i/2); the
  // last bin is everything slower (over 167 s).
  static constexpr size_t kLatencyBins = 50;
  static constexpr double kFirstBinSeconds = 10e-6;

  using Clock = std::chrono::system_clock;

  // One request answered `status` after `seconds`, at `now`.
  void Record(int status, double seconds) { Record(Clock::now(), status, seconds); }
  void Record(Clock::time_point now, int status, double seconds);

  struct Point {
    int64_t start_ms = 0;  // the bucket's start, Unix milliseconds
    uint32_t requests = 0;
    uint32_t client_errors = 0;  // 4xx
    uint32_t server_errors = 0;  // 5xx
    double p50_seconds = 0;      // 0 when the bucket has no request
    double p99_seconds = 0;
  };
  // The kBuckets periods ending with the one holding `now`, oldest first;
  // periods nobody recorded in are zero.
  std::vector<Point> Snapshot(Clock::time_point now) const;
  // The same periods, all zero (a model that has not served yet).
  static std::vector<Point> EmptySnapshot(Clock::time_point now);
  // {"bucketSeconds":10,"start":MS,"requests":[...],"clientErrors":[...],
  //  "serverErrors":[...],"p50Ms":[...],"p99Ms":[...]} for the dashboard.
  static std::string ToJson(const std::vector<Point>& points);

  // The latency below which a fraction `q` of `bins`' samples fall,
  // interpolated geometrically inside the bin; 0 for no samples.
  static double Quantile(const std::array<uint32_t, kLatencyBins>& bins, double q);
  static size_t BinOf(double seconds);

 private:
  static constexpr int64_t kResetting = -1;
  struct Bucket {
    std::atomic<int64_t> period{0};  // Unix time / kBucketSeconds, or kResetting
    std::atomic<uint32_t> requests{0};
    std::atomic<uint32_t> client_errors{0};
    std::atomic<uint32_t> server_errors{0};
    std::array<std::atomic<uint32_t>, kLatencyBins> latency{};
  };
  using Ring = std::array<Bucket, kBuckets>;
  Ring* RingForRecord();  // allocates it on first use
  std::atomic<Ring*> ring_{nullptr};
};

}  // namespace ferry::serving
