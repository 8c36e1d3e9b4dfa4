// Controller: Ferry's KServe + Knative + istiod in one object. It watches the
// API (InferenceServices, the Secrets and ServiceAccounts they use, the
// domain and mesh ConfigMaps, AuthorizationPolicies, RequestAuthentications,
// Profiles, the gateway Services, Jobs) and keeps two snapshots current for
// the data plane: the RouteTable (Host → ready revision) and the
// PolicySnapshot.
//
// DESIGN (after controller-runtime). Watch threads only turn store events
// into typed WorkKeys (work_key.h) on one WorkQueue, by a registration list
// in controller.cc that says which watched kind wakes which keys; a single
// worker thread takes one key at a time and hands it to the Reconciler
// registered for its kind (reconciler.h): one per kind of object —
// InferenceService (isvc_reconciler.h), Profile, gateway Service, Job,
// policies, domain — and scale to zero. Every Reconcile is level-based and
// idempotent, and the worker is the single writer of status and snapshots,
// so reconcilers share state without locks. The controller's own status
// writes are remembered by resourceVersion (own_writes.h) and not
// reconciled again when the watch brings them back.
//
// Slow work — download and model load — runs on the ModelLoader's small
// pool and queues its key when done, so one big model never blocks
// another's status. A revision is routed only once it is loaded; until then
// the previous revision keeps serving. Every outcome is written to the
// InferenceService status (KServe's conditions and modelStatus), as Events,
// and as lines in the InferenceService's log (api::IsvcLogs), with messages
// that say what failed and what to do.
//
// Revisions: a new revision comes from a change of the predictor spec other
// than canaryTrafficPercent and min/maxReplicas (those only move traffic or
// scale). canaryTrafficPercent splits traffic between the rolled-out and the
// latest revision; removing it (or 100) promotes the latest. minReplicas: 0
// unloads a model after a grace period without requests (per ISVC:
// annotation autoscaling.knative.dev/scale-to-zero-pod-retention-period,
// else ControllerOptions::scale_to_zero_grace); the next request waits in
// Activate() until the model is loaded again.
//
// Shutdown (Stop, or the destructor) runs in the reverse order of start:
// watches and worker stop, queued loads finish, parked requests fail.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/isvc_logs.h"
#include "api/resource_client.h"
#include "common/status.h"
#include "controller/route_table.h"
#include "controller/work_key.h"
#include "gateway/snapshot.h"
#include "runtime/registry.h"
#include "serving/metrics.h"
#include "serving/model_catalog.h"
#include "storage/local_access.h"

namespace ferry::controller {

struct ControllerOptions {
  std::string data_dir;  // models/ and cache/ live here
  std::string default_domain = "example.com";
  // Where file://, plain paths and pvc:// may read (checked again at fetch time).
  storage::LocalAccess local_access;
  int load_threads = 2;
  int predict_threads = 2;  // per model executor
  // Profiles: also create Kubeflow's per-namespace policy and Ferry's
  // ServiceAccount-token policies (the kubeflow profile).
  bool kubeflow_policies = true;
  std::string token_issuer;  // the API's ServiceAccount token issuer
  std::string token_jwks;    // its JWKS (JSON text)
  // status.loadBalancer IP of a gateway Service patched to LoadBalancer.
  std::string external_address = "127.0.0.1";
  api::IsvcLogs* logs = nullptr;  // per-ISVC model server log; may be null
  // Knative's scale-to-zero-grace-period: idle time before a minReplicas: 0
  // model is unloaded, unless its annotation says otherwise.
  std::chrono::milliseconds scale_to_zero_grace{30000};
  // Remote JWKS of every policy snapshot (one cache, so a policy change
  // refetches nothing); null: gateway::DefaultJwksCache().
  std::shared_ptr<gateway::JwksCache> jwks_cache;
  // Called on the worker thread after each reconcile (tests count them).
  std::function<void(const WorkKey&)> on_reconciled;
};

class Controller {
 public:
  using RoutesListener = std::function<void(std::shared_ptr<const RouteTable>)>;
  using PoliciesListener = std::function<void(std::shared_ptr<const gateway::PolicySnapshot>)>;
  // (Service name, exposed): a gateway Service changed type; exposed = all interfaces.
  using GatewayListener = std::function<void(const std::string&, bool)>;

  Controller(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
             serving::Metrics* metrics, ControllerOptions options);
  ~Controller();

  // Listeners are called from the worker thread with every new snapshot.
  void OnRoutes(RoutesListener listener);
  void OnPolicies(PoliciesListener listener);
  void OnGatewayService(GatewayListener listener);

  Status Start();
  void Stop();
  // True once the initial state has been reconciled (every existing object seen).
  bool Synced() const;
  // The model router's activator (any thread): takes a request that reached a
  // scaled-to-zero model, reloads it and resumes the request. False when
  // `entry` is not a scaled-to-zero placeholder.
  bool Activate(const serving::ModelEntry& entry, serving::ResumeParked resume);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::controller
