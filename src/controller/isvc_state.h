// IsvcState: what the controller knows about one InferenceService between
// reconciles — the revisions it serves, the load in flight, the last
// failure. Owned and touched only by the controller's worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "controller/isvc_spec.h"
#include "server/model_catalog.h"

namespace ferry::controller {

struct Revision {
  std::string name;  // "{isvc}-predictor-{generation:05}"
  int64_t generation = 0;
  std::string spec_hash;  // of the predictor spec minus traffic/scale fields
  std::string dir;        // the model directory (reloaded from here after scale to zero)
  std::shared_ptr<const server::ModelEntry> entry;
  std::shared_ptr<const server::ModelCatalog> catalog;
};

struct LoadProgress {
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<int> phase{0};  // 0 download, 1 load
};

struct IsvcState {
  std::string ns;
  std::string name;
  std::string uid;
  std::map<std::string, std::string> labels;  // metadata.labels (domain selectors)
  std::optional<Revision> latest_ready;
  std::optional<Revision> previous;  // the rolled-out revision during a canary split
  int canary_percent = -1;
  // minReplicas: 0 — unload after `scale_to_zero_ms` without requests; while
  // scaled to zero latest_ready holds a placeholder entry (state kLoading)
  // that the model router hands to the activator.
  int min_replicas = 1;
  int64_t timeout_seconds = 300;  // spec.predictor.timeout of the latest spec
  int64_t scale_to_zero_ms = -1;  // per-ISVC retention (annotation); -1 = the default
  bool scaled_to_zero = false;
  bool waking = false;            // a reload for waiting requests is running
  uint64_t last_requests = 0;
  std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
  // The load in flight, keyed by attempt = generation + credentials fingerprint.
  bool loading = false;
  std::string loading_attempt;
  std::string loading_revision;
  std::string loading_hash;
  int64_t loading_generation = 0;
  std::shared_ptr<LoadProgress> progress;
  // The last failed attempt (kept until an attempt with other inputs starts).
  std::string failed_attempt;
  std::string fail_reason;   // KServe lastFailureInfo.reason
  std::string fail_message;
  std::string fail_time;
  std::string fail_revision;
  // Transient load failures (S3 unreachable, 5xx, timeouts, disk full) are
  // retried with exponential backoff, like a crash-looping storage
  // initializer on KServe: `retry_at` is when the failed attempt may run again.
  int retries = 0;
  std::string retry_attempt;
  std::chrono::steady_clock::time_point retry_at{};
  std::string runtime_name = "ferry";
  std::string latest_created_revision;
};

std::string RevisionName(const std::string& isvc, int64_t generation);

}  // namespace ferry::controller
