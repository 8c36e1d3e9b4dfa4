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
#include <vector>

#include "runtime/batching_model.h"
#include "serving/model_catalog.h"

namespace ferry::controller {

struct Revision {
  std::string name;  // "{isvc}-predictor-{generation:05}"
  int64_t generation = 0;
  std::string spec_hash;  // of the predictor spec minus traffic/scale fields
  std::string dir;        // the model directory (reloaded from here after scale to zero)
  std::optional<runtime::BatchingOptions> batcher;  // applied again on reload
  std::shared_ptr<const serving::ModelEntry> entry;
  std::shared_ptr<const serving::ModelCatalog> catalog;
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
  // Where a load failed: "download" (the storage initializer), "load" (the
  // model server) or "" (no pod ran: spec, runtime or credentials).
  std::string stage;
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

// The v1 Pod that shows one revision to kubectl (pod_view.h writes it).
// Times are RFC 3339; a container's times belong to its current run.
struct PodRecord {
  std::string name;  // "{revision}-deployment-{template hash}-{5 chars}"
  std::string uid;   // of the stored Pod; "" = not written yet
  std::string storage_uri;
  int64_t generation = 0;
  std::string shown;    // the state last written: downloading, loading, running, ...
  std::string created;  // the Pod's creation (startTime)
  std::string init_started, init_finished;
  std::string main_started, main_finished;
  int init_restarts = 0;
  int main_restarts = 0;
  std::string last_init_finished;  // the run before this one (lastState)
  std::string last_init_message;
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
  int container_concurrency = 0;  // spec.predictor.containerConcurrency; 0 = no limit
  // "FIELD: has no effect in Ferry: WHY" for the spec's no-effect fields.
  std::vector<std::string> no_effect;
  std::string runtime_name = "ferry";
  std::string latest_created_revision;

  std::optional<PendingLoad> loading;
  std::optional<Failure> failure;
  RetryBackoff retry;
  ScaleState scale;
  std::map<std::string, PodRecord> pods;  // by revision name
  // A revision whose ready pod was deleted: load it again, like a restart.
  std::string restart_revision;

  std::string key() const { return ns + "/" + name; }
  bool canary() const { return canary_percent >= 0 && canary_percent < 100; }
};

std::string RevisionName(const std::string& isvc, int64_t generation);

}  // namespace ferry::controller
