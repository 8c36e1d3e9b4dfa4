// PodUsageSampler: the usage behind `ferry up`'s metrics.k8s.io PodMetrics (`kubectl top pod`),
// attributed per model as closely as one process allows (docs/troubleshooting-metrics.md):
//
// - CPU: the time spent in a model's predicts (summed by TimedPredict around every predict,
//   serving::ModelEntry::predict_ns), plus a share of the rest of the process's CPU time
//   (CLOCK_PROCESS_CPUTIME_ID: request parsing and encoding, I/O, the control plane) in
//   proportion to the predicts each model ran in the window — evenly when none ran. The pods'
//   CPU adds up to the process's.
// - Memory: the model's own bytes (its files' size, measured at load) plus an even share of the
//   rest of the process's resident memory (/proc/self/statm). The pods' memory adds up to the
//   process's RSS.
//
// - The node (`kubectl top node`): the machine's busy CPU time (/proc/stat) and memory in use
//   (MemTotal - MemAvailable), all processes, as metrics-server reports a node.
//
// The rate is taken between two samples at least a second apart, as metrics-server's window:
// a read takes a new sample when the last one is older than a second and reports the usage
// since the sample before (since Ferry started for the first read).
//
// A pod maps to its model by its labels (serving.kserve.io/inferenceservice,
// serving.knative.dev/revision) through the current route table; a pod whose revision is not
// routed (downloading, failed, scaled to zero) is not reported.
//
// Threads: Report() is called on API listener threads; a mutex guards the samples.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/pod_metrics.h"
#include "ingress/gateway_pipeline.h"

namespace ferry::main {

class PodUsageSampler {
 public:
  explicit PodUsageSampler(const ingress::GatewaySnapshots* snapshots);
  api::UsageReport Report(const std::vector<nlohmann::json>& pods);

  struct Counters {
    uint64_t predict_ns = 0;
    uint64_t predicts = 0;
    uint64_t memory_bytes = 0;
  };
  struct Sample {
    std::chrono::steady_clock::time_point at;
    std::chrono::system_clock::time_point wall;
    uint64_t process_cpu_ns = 0;
    uint64_t rss_bytes = 0;
    uint64_t machine_busy_ns = 0;          // /proc/stat, all CPUs
    uint64_t machine_memory_bytes = 0;     // MemTotal - MemAvailable
    std::map<std::string, Counters> pods;  // "ns/name" of running pods
  };
  // The attribution itself (pure): usage of `last`'s pods between `base` and `last`.
  static api::UsageReport Attribute(const Sample& base, const Sample& last);

 private:
  Sample Take(const std::vector<nlohmann::json>& pods) const;

  const ingress::GatewaySnapshots* snapshots_;
  std::mutex mu_;
  Sample base_;  // guarded by mu_
  Sample last_;  // guarded by mu_
  bool have_last_ = false;
};

}  // namespace ferry::main
