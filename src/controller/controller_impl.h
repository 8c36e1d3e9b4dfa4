// Controller::Impl: shared by controller.cc (queue, watches, snapshots) and
// reconcile.cc (InferenceService reconcile and model loading).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/controller.h"
#include "controller/isvc_state.h"
#include "runtime/served_model.h"
#include "server/executor.h"
#include "storage/s3_config.h"
#include "store/resource_store.h"

namespace ferry::controller {

// Knative config-domain: the default domain plus label-selected ones.
struct DomainConfig {
  std::string default_domain;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> selectors;
  bool operator==(const DomainConfig&) const = default;
};

// The exception being handled, in words (call only inside a catch block);
// a filesystem_error gives its cause without the paths it names.
std::string DescribeCurrentException();

struct LoadResult {
  std::string attempt;
  std::string revision;
  std::string spec_hash;
  std::string dir;
  int64_t generation = 0;
  Status status;  // OK with `model`, or why the download/load failed
  std::string reason;  // KServe reason when failed
  std::unique_ptr<runtime::ServedModel> model;
};

class Controller::Impl {
 public:
  Impl(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
       server::Metrics* metrics, ControllerOptions options)
      : client_(client), registry_(registry), metrics_(metrics), options_(std::move(options)) {}

  Status Start();
  void Stop();
  void Enqueue(const std::string& key);
  // Enqueues `key` once `delay` has passed (status refresh while loading).
  void EnqueueAfter(const std::string& key, std::chrono::milliseconds delay);
  // Backoff retries of transient load failures (reconcile.cc).
  bool RetryDue(IsvcState& st, const std::string& attempt);
  void ScheduleRetry(IsvcState& st, const LoadResult& r);

  // reconcile.cc
  void ReconcileIsvc(const std::string& ns, const std::string& name);
  void StartLoad(IsvcState& state, const PredictorSpec& spec, const std::string& attempt,
                 int64_t generation, storage::S3Config s3, std::string creds_note);
  void ApplyLoadResult(IsvcState& state, LoadResult result);
  void WriteStatus(IsvcState& state, const nlohmann::json& isvc);
  void RecordEvent(const IsvcState& state, const std::string& type, const std::string& reason,
                   const std::string& message);
  Status CheckRuntime(const std::string& ns, const PredictorSpec& spec, std::string* runtime_name);

  // Log line in the ISVC's model server log.
  void Log(const IsvcState& state, const std::string& line);
  // A revision whose model is loaded: entry + one-model catalog.
  Revision MakeRevision(IsvcState& state, LoadResult& result);
  // Drops a revision from routing; its memory is freed once no request holds it.
  void Retire(std::optional<Revision>& revision);

  // scale_zero.cc
  bool Activate(const server::ModelEntry& entry, server::ModelRouter::Resume resume);
  void Tick();                                // idle check + retired revisions
  void ScheduleTick();
  void ScaleToZero(IsvcState& state);
  void Wake(const std::string& key);
  // Resumes the requests waiting on `key` with `catalog` (null: fail with `error`).
  void FinishWake(IsvcState& state, std::shared_ptr<const server::ModelCatalog> catalog,
                  const std::string& error);
  std::chrono::milliseconds GraceFor(const IsvcState& state) const;

  // controller.cc
  void WorkLoop();
  void WatchLoop(std::unique_ptr<store::EventQueue> queue, std::string kind);
  void ReconcilePolicies();
  void ReconcileProfile(const std::string& name);  // profile.cc
  void ReconcileGatewayService(const std::string& name);         // gateway_services.cc
  void ReconcileJob(const std::string& ns, const std::string& name);
  void ReconcileDomain();
  void RequeueNamespace(const std::string& ns);
  void PublishRoutes();
  const std::string& DomainFor(const IsvcState& state) const;

  api::ResourceClient* client_;
  const runtime::RuntimeRegistry* registry_;
  server::Metrics* metrics_;
  ControllerOptions options_;
  RoutesListener routes_listener_;
  PoliciesListener policies_listener_;
  GatewayListener gateway_listener_;
  std::map<std::string, std::chrono::steady_clock::time_point> job_started_;  // worker thread

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;   // guarded by mu_
  std::set<std::string> queued_;    // guarded by mu_
  std::map<std::string, LoadResult> results_;  // by isvc key; guarded by mu_
  std::multimap<std::chrono::steady_clock::time_point, std::string> delayed_;  // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  // Scale to zero: placeholder entry → ISVC key, and the requests waiting on it.
  std::map<const server::ModelEntry*, std::string> placeholders_;           // guarded by mu_
  std::map<std::string, std::vector<server::ModelRouter::Resume>> waiters_;  // guarded by mu_
  std::map<std::string, LoadResult> wake_results_;                          // guarded by mu_
  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_watches_{false};

  std::vector<std::thread> threads_;
  std::unique_ptr<server::Executor> loaders_;

  // Worker-thread state.
  std::map<std::string, IsvcState> isvcs_;  // "ns/name"
  DomainConfig domains_;
  int event_seq_ = 0;
  std::vector<Revision> retired_;  // unrouted, freed once unused
  bool tick_scheduled_ = false;
};

}  // namespace ferry::controller
