// IsvcState: what the controller knows about one InferenceService between
// reconciles — the revisions it serves, the load in flight, the last failure
// and its retry backoff, scale-to-zero bookkeeping. Owned by ServingState and
// touched only by the controller's worker thread (LoadProgress is also
// written by the loader pool: atomics).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "runtime/batching_model.h"
#include "server/model_catalog.h"

namespace ferry::controller {

struct Revision {
  std::string name;  // "{isvc}-predictor-{generation:05}"
  int64_t generation = 0;
  std::string spec_hash;  // of the predictor spec minus traffic/scale fields
  std::string dir;        // the model directory (reloaded from here after scale to zero)
  std::optional<runtime::BatchingOptions> batcher;  // applied again on reload
  std::shared_ptr<const server::ModelEntry> entry;
  std::shared_ptr<const server::ModelCatalog> catalog;
};

struct LoadProgress {
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<int> phase{0};  // 0 download, 1 load
};

// The download + load running on the loader pool for a new revision.
struct PendingLoad {
  // What the load is for: spec hash + credentials fingerprint. A reconcile
  // that computes another attempt starts another load; a result whose
  // attempt is no longer the pending one is dropped.
  std::string attempt;
  std::string revision;
  std::string spec_hash;
  int64_t generation = 0;
  std::shared_ptr<LoadProgress> progress;
};

// The last failed attempt, kept until an attempt with other inputs starts or
// the spec's revision serves. Written only by IsvcReconciler::Fail.
struct Failure {
  std::string attempt;
  std::string reason;  // KServe lastFailureInfo.reason
  std::string message;
  std::string time;  // RFC 3339
  std::string revision;
};

// Transient load failures (S3 unreachable, 5xx, timeouts, disk full) are
// retried with exponential backoff, like a crash-looping storage initializer
// on KServe: `at` is when the failed attempt may run again.
struct RetryBackoff {
  std::string attempt;
  int retries = 0;
  std::chrono::steady_clock::time_point at{};  // {} = no retry pending
};

// minReplicas: 0 — unload after the grace period without requests; while
// scaled to zero latest_ready holds a placeholder entry (state kLoading)
// that the model router hands to the activator.
struct ScaleState {
  int min_replicas = 1;
  int64_t grace_ms = -1;  // per-ISVC retention (annotation); -1 = the default
  bool scaled_to_zero = false;
  bool waking = false;  // a reload for waiting requests is running
  uint64_t last_requests = 0;
  std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
};

struct IsvcState {
  std::string ns;
  std::string name;
  std::string uid;
  std::map<std::string, std::string> labels;  // metadata.labels (domain selectors)

  std::optional<Revision> latest_ready;
  std::optional<Revision> previous;  // the rolled-out revision during a canary split
  int canary_percent = -1;
  int64_t timeout_seconds = 300;  // spec.predictor.timeout of the latest spec
  std::string runtime_name = "ferry";
  std::string latest_created_revision;

  std::optional<PendingLoad> loading;
  std::optional<Failure> failure;
  RetryBackoff retry;
  ScaleState scale;

  std::string key() const { return ns + "/" + name; }
  bool canary() const { return canary_percent >= 0 && canary_percent < 100; }
};

std::string RevisionName(const std::string& isvc, int64_t generation);

}  // namespace ferry::controller
