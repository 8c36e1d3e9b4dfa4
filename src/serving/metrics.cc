#include "serving/metrics.h"

#include <charconv>
#include <cmath>
#include <functional>

namespace ferry::serving {

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kV1:
      return "v1";
    case Protocol::kV2:
      return "v2";
    case Protocol::kMlflow:
      return "mlflow";
    case Protocol::kOther:
      return "other";
  }
  return "other";
}

void Metrics::Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  counts[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

Metrics::ModelCounters* Metrics::Register(std::string_view model) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : models_) {
    if (m.model == model) return &m;
  }
  models_.emplace_back();
  models_.back().model = std::string(model);
  return &models_.back();
}

void Metrics::Record(ModelCounters* c, Protocol p, int status, double seconds) {
  if (c == nullptr) return;
  if (status < 100 || status >= 600) status = 500;
  c->requests[static_cast<size_t>(p)][status - 100].fetch_add(1, std::memory_order_relaxed);
  c->latency[static_cast<size_t>(p)].Observe(seconds);
}

namespace {

std::string FormatDouble(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string Labels(const std::string& model, std::string_view protocol) {
  return "model=\"" + model + "\",protocol=\"" + std::string(protocol) + "\"";
}

}  // namespace

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out +=
      "# HELP ferry_requests_total Inference and metadata requests by model, protocol and "
      "status.\n";
  out += "# TYPE ferry_requests_total counter\n";
  for (const auto& m : models_) {
    for (size_t p = 0; p < kNumProtocols; ++p) {
      for (size_t s = 0; s < 500; ++s) {
        uint64_t n = m.requests[p][s].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out += "ferry_requests_total{" + Labels(m.model, ProtocolName(static_cast<Protocol>(p))) +
               ",code=\"" + std::to_string(s + 100) + "\"} " + std::to_string(n) + "\n";
      }
    }
  }
  out += "# HELP ferry_request_duration_seconds Time from request read to response ready.\n";
  out += "# TYPE ferry_request_duration_seconds histogram\n";
  for (const auto& m : models_) {
    for (size_t p = 0; p < kNumProtocols; ++p) {
      const Histogram& h = m.latency[p];
      uint64_t cumulative = 0;
      std::string labels = Labels(m.model, ProtocolName(static_cast<Protocol>(p)));
      uint64_t total = 0;
      for (const auto& c : h.counts) total += c.load(std::memory_order_relaxed);
      if (total == 0) continue;
      for (size_t i = 0; i <= kBuckets.size(); ++i) {
        cumulative += h.counts[i].load(std::memory_order_relaxed);
        std::string le = i < kBuckets.size() ? FormatDouble(kBuckets[i]) : "+Inf";
        out += "ferry_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      out += "ferry_request_duration_seconds_sum{" + labels + "} " +
             FormatDouble(static_cast<double>(h.sum_ns.load()) / 1e9) + "\n";
      out += "ferry_request_duration_seconds_count{" + labels + "} " + std::to_string(cumulative) +
             "\n";
    }
  }
  out += "# HELP ferry_model_load_seconds Time to load the model into memory.\n";
  out += "# TYPE ferry_model_load_seconds gauge\n";
  for (const auto& m : models_) {
    out += "ferry_model_load_seconds{model=\"" + m.model + "\"} " +
           FormatDouble(m.load_seconds.load()) + "\n";
  }
  out += "# HELP ferry_model_loaded 1 when the model is loaded and ready.\n";
  out += "# TYPE ferry_model_loaded gauge\n";
  for (const auto& m : models_) {
    out +=
        "ferry_model_loaded{model=\"" + m.model + "\"} " + std::to_string(m.loaded.load()) + "\n";
  }
  RenderConcurrency(out);
  return out;
}

// Only models with a containerConcurrency limit count their requests in flight.
void Metrics::RenderConcurrency(std::string& out) const {
  bool any = false;
  for (const auto& m : models_) any = any || m.concurrency_limit.load() > 0;
  if (!any) return;
  struct Gauge {
    const char* name;
    const char* help;
    std::function<int64_t(const ModelCounters&)> value;
  };
  const Gauge gauges[] = {
      {"ferry_model_concurrency_limit", "spec.predictor.containerConcurrency of the model.",
       [](const ModelCounters& m) { return static_cast<int64_t>(m.concurrency_limit.load()); }},
      {"ferry_model_requests_in_flight", "Requests running in the model now.",
       [](const ModelCounters& m) { return m.in_flight.load(); }},
      {"ferry_model_requests_queued",
       "Requests waiting for a slot (containerConcurrency reached; at most 10x the limit).",
       [](const ModelCounters& m) { return m.queued.load(); }},
  };
  for (const Gauge& g : gauges) {
    out += std::string("# HELP ") + g.name + " " + g.help + "\n";
    out += std::string("# TYPE ") + g.name + " gauge\n";
    for (const auto& m : models_) {
      if (m.concurrency_limit.load() <= 0) continue;
      out +=
          std::string(g.name) + "{model=\"" + m.model + "\"} " + std::to_string(g.value(m)) + "\n";
    }
  }
}

}  // namespace ferry::serving
