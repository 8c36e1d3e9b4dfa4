// Metrics: Prometheus counters and latency histograms per model and protocol,
// plus model load times, rendered in the text exposition format for GET /metrics.
//
// Threads: Register() takes a mutex (control plane, rare); Record() is
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
  };

  // Returns the counters for `model`, creating them on first use.
  ModelCounters* Register(std::string_view model);
  static void Record(ModelCounters* c, Protocol p, int status, double seconds);
  std::string Render() const;

 private:
  void RenderConcurrency(std::string& out) const;  // mu_ held

  mutable std::mutex mu_;
  std::deque<ModelCounters> models_;  // guarded by mu_; deque keeps addresses stable
};

}  // namespace ferry::serving
