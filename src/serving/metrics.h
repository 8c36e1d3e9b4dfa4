// Metrics: Prometheus counters and latency histograms per model and protocol,
// plus model load times, rendered in the text exposition format for GET /metrics.
//
// Threads: Register() and Find() take a mutex (control plane, rare); Record() is
// lock-free (relaxed atomics) and allocation-free, so the request path can
// call it on every request. ModelCounters pointers stay valid for the
// lifetime of the Metrics object.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace ferry::logger {
class Dispatcher;
}
#include "serving/traffic_series.h"

namespace ferry::serving {

enum class Protocol { kV1 = 0, kV2, kMlflow, kOther };
constexpr size_t kNumProtocols = 4;
std::string_view ProtocolName(Protocol p);

class Metrics {
 public:
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1.0,    2.5,     5.0,    10.0};

  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts{};  // last = +Inf
    std::atomic<uint64_t> sum_ns{0};
    void Observe(double seconds);
  };

  struct ModelCounters {
    std::string model;
    // requests[protocol][status - 100], status in [100, 600)
    std::array<std::array<std::atomic<uint64_t>, 500>, kNumProtocols> requests{};
    std::array<Histogram, kNumProtocols> latency;
    std::atomic<double> load_seconds{0};
    std::atomic<int> loaded{0};
    // containerConcurrency (ConcurrencyLimiter): the limit (0 = none), the
    // requests in the model and those waiting for a slot.
    std::atomic<int> concurrency_limit{0};
    std::atomic<int64_t> in_flight{0};
    std::atomic<int64_t> queued{0};
    // The last hour of inference requests in 10-second buckets (the dashboard's charts).
    TrafficSeries series;
  };

  // Returns the counters for `model`, creating them on first use.
  ModelCounters* Register(std::string_view model);
  // The counters of `model` ("ns/name" under `ferry up`), or null when it was never registered.
  const ModelCounters* Find(std::string_view model) const;
  static void Record(ModelCounters* c, Protocol p, int status, double seconds);
  std::string Render() const;
  // Adds the payload-log counters (logger/dispatcher.h) to Render; set before serving, and the
  // dispatcher outlives this object's readers.
  void SetPayloadLogs(const logger::Dispatcher* d) { payload_logs_ = d; }

 private:
  void RenderConcurrency(std::string& out) const;  // mu_ held

  mutable std::mutex mu_;
  const logger::Dispatcher* payload_logs_ = nullptr;
  std::deque<ModelCounters> models_;  // guarded by mu_; deque keeps addresses stable
};

}  // namespace ferry::serving
