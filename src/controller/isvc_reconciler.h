// IsvcReconciler: KServe's InferenceService controller, for Ferry. For the
// key ns/name it reads the object and, level-based:
//   1. parses the predictor into a PredictorSpec (a bad field fails the
//      InferenceService with reason InvalidPredictorSpec, naming the field);
//   2. applies the fields that only move traffic or scale (canary split,
//      minReplicas, timeout) to the revisions it has;
//   3. checks that a runtime serves the format and resolves the S3
//      credentials; when neither the ready revision nor the load in flight
//      is for this spec + credentials, starts a new revision on the
//      ModelLoader (the previous revision keeps serving);
//   4. when that load is done, routes the new revision (ServingState) or
//      records the failure, retrying transient ones with backoff;
//   5. writes the status (KServe conditions, modelStatus) when it changed,
//      and asks to run again while a load runs (progress in the status) or a
//      retry is due.
// A WorkKey::Credentials(ns) key (a Secret or ServiceAccount changed)
// requeues every InferenceService of that namespace.
//
// Threads: worker thread only. Failures are recorded in one place (Fail):
// the status fields, one Warning Event per new failure, and a log line.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "controller/events.h"
#include "controller/isvc_spec.h"
#include "controller/knative_view.h"
#include "controller/model_loader.h"
#include "controller/pod_view.h"
#include "controller/reconciler.h"
#include "controller/reconciler_context.h"
#include "controller/scale_zero_reconciler.h"
#include "controller/serving_state.h"
#include "runtime/registry.h"

namespace ferry::controller {

class IsvcReconciler final : public Reconciler {
 public:
  struct Parts {
    const runtime::RuntimeRegistry* registry;
    ServingState* serving;
    ModelLoader* loader;
    ScaleToZeroReconciler* scaler;
    EventRecorder* events;
    PodView* pods;
    KnativeView* knative;
  };
  IsvcReconciler(const ReconcilerContext& ctx, Parts parts) : ctx_(ctx), p_(parts) {}

  // kInferenceService and kNamespaceCredentials keys.
  ReconcileResult Reconcile(const WorkKey& key) override;

 private:
  // isvc_reconciler.cc: the reconcile, step by step.
  ReconcileResult ReconcileIsvc(const std::string& ns, const std::string& name);
  void RequeueNamespace(const std::string& ns);
  void Remove(const std::string& ns, const std::string& name);
  IsvcState& Observe(const nlohmann::json& isvc, bool* routes_changed);
  bool ApplyServingFields(IsvcState& state, const PredictorSpec& spec);
  void EnsureRevision(IsvcState& state, const PredictorSpec& spec, int64_t generation);
  Status CheckRuntime(const std::string& ns, const PredictorSpec& spec,
                      std::string* runtime_name) const;
  ReconcileResult WriteStatus(IsvcState& state, const nlohmann::json& isvc);
  ReconcileResult NextCheck(const IsvcState& state);
  // When to look at a pending load's progress again: every kProgressInterval
  // while it moves, backing off (to a few seconds) while it does not — a load
  // still queued behind hundreds of others has nothing new to show.
  std::chrono::milliseconds ProgressPollAfter(const IsvcState& state);

  // isvc_load.cc: revisions coming and going.
  void StartLoad(IsvcState& state, const PredictorSpec& spec, const std::string& attempt,
                 int64_t generation, storage::S3Config s3, std::string creds_note);
  bool TakeLoadResult(IsvcState& state);
  // A canary's previous revision whose pod was deleted: loaded again from its
  // directory (it serves meanwhile), then swapped in. True when routes changed.
  void StartPreviousRestart(IsvcState& state);
  bool TakePreviousRestart(IsvcState& state);
  void ApplyLoaded(IsvcState& state, LoadResult result);
  // The one place a failure is recorded. `from_load`: a download/load
  // failure, retried with backoff when transient.
  // `stage` ("download", "load" or "") says which container failed.
  void Fail(IsvcState& state, const std::string& attempt, const std::string& reason,
            const Status& cause, const std::string& revision, bool from_load,
            const std::string& stage = "");
  std::string ScheduleRetry(IsvcState& state, const std::string& attempt, StatusCode code);
  bool RetryDue(IsvcState& state, const std::string& attempt);

  ReconcilerContext ctx_;
  Parts p_;
  struct ProgressPoll {
    uint64_t bytes = 0;
    int phase = -1;
    std::chrono::milliseconds every{0};
  };
  std::map<std::string, ProgressPoll> progress_polls_;  // pending loads, by "ns/name"

};

}  // namespace ferry::controller
