// Resource metrics: `metrics.k8s.io/v1beta1` PodMetrics and NodeMetrics, what metrics-server
// serves and `kubectl top pod` (`-A`, `-l`, `--containers`) and `kubectl top node` read, for the
// Pods Ferry shows (controller/pod_view.h). The API lists the stored Pods and asks a UsageSource —
// set by `ferry up` (main/pod_usage.h), which knows the model servers behind them — for their
// usage; a Pod the source does not report (downloading, failed, scaled to zero) has no metrics, as
// a pod that is not running has none from metrics-server. Read-only: get and list; RBAC as on a
// cluster with metrics-server (`metrics.k8s.io` `pods` get/list).
//
// Threads: the source is called on the API's listener threads, concurrently; it must be
// thread-safe. Set it before serving.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ferry::api {

struct ContainerUsage {
  std::string name;
  uint64_t cpu_nanocores = 0;
  uint64_t memory_bytes = 0;
};

struct PodUsage {
  std::vector<ContainerUsage> containers;
};

// The machine's usage, what metrics-server reports for a node (all of its
// processes, not only Ferry's).
struct NodeUsage {
  uint64_t cpu_nanocores = 0;
  uint64_t memory_bytes = 0;  // in use: MemTotal - MemAvailable
};

struct UsageReport {
  std::chrono::system_clock::time_point timestamp;  // the end of the window
  std::chrono::milliseconds window{0};              // what the CPU rate averages over
  std::map<std::string, PodUsage> pods;              // by "namespace/name"
  std::optional<NodeUsage> node;                     // null: not measured
};

// Usage of the running ones among `pods` (every stored Pod, all namespaces).
using UsageSource = std::function<UsageReport(const std::vector<nlohmann::json>& pods)>;

// Quantities as metrics-server writes them: CPU in nanocores ("1234n"), memory in Ki.
std::string CpuQuantity(uint64_t nanocores);
std::string MemoryQuantity(uint64_t bytes);
// A Go duration string ("15s", "1m2.5s"), the form of PodMetrics.window.
std::string GoDuration(std::chrono::milliseconds d);

// The NodeMetrics object of `node` (a stored v1 Node) with `usage`.
nlohmann::json NodeMetricsObject(const nlohmann::json& node, const NodeUsage& usage,
                                 const UsageReport& report);

// The PodMetrics object of `pod` with `usage` at `report`'s time and window.
nlohmann::json PodMetricsObject(const nlohmann::json& pod, const PodUsage& usage,
                                const UsageReport& report);

}  // namespace ferry::api
