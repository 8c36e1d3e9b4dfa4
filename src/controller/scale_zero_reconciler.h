// ScaleToZeroReconciler: Knative's autoscaler and activator for
// `minReplicas: 0`, in-process. A tick (WorkKey::ScaleTick) swaps a model
// idle for its grace period for a placeholder entry and frees retired
// revisions; a request that reaches a placeholder is parked by Activate, the
// model is reloaded from its directory on the ModelLoader (WorkKey::Wake),
// and the parked requests are resumed on the new revision's executor.
//
// The model repository extension maps onto the same machinery: an unload
// (WorkKey::Repository) swaps the revision for an UNLOADED placeholder that
// the activator does not wake; a load reloads it like a wake-up and answers
// once the revision serves again (isvc_repository.h is the REST/gRPC face).
//
// Threads: Activate and RequestRepositoryOp are called on any thread (the
// placeholder, waiter and operation maps are under mu_); everything else on
// the worker thread. Shutdown fails every parked request and operation and
// refuses new ones.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/events.h"
#include "controller/model_loader.h"
#include "controller/reconciler.h"
#include "controller/reconciler_context.h"
#include "controller/serving_state.h"
#include "serving/model_catalog.h"
#include "serving/model_repository.h"

namespace ferry::controller {

class ScaleToZeroReconciler final : public Reconciler {
 public:
  ScaleToZeroReconciler(const ReconcilerContext& ctx, ServingState* serving, ModelLoader* loader,
                        EventRecorder* events)
      : ctx_(ctx), serving_(serving), loader_(loader), events_(events) {}

  // kScaleTick, kWake and kRepository keys.
  ReconcileResult Reconcile(const WorkKey& key) override;

  // Any thread: parks a request that reached a scaled-to-zero placeholder.
  // False when `entry` is no placeholder (or the controller is stopping).
  bool Activate(const serving::ModelEntry& entry, serving::ResumeParked resume);
  // Any thread: a model repository load (`load`) or unload of InferenceService ns/name; `done`
  // runs once on the worker thread (a load: once the revision serves again) or an executor.
  void RequestRepositoryOp(const std::string& ns, const std::string& name, bool load,
                           serving::ModelRepository::Done done);
  // Resumes the requests waiting on `state` with `catalog` (null: fails them with `error`).
  void FinishWake(IsvcState& state, std::shared_ptr<const serving::ModelCatalog> catalog,
                  const std::string& error);
  // The InferenceService is gone (deleted or re-created): fails its waiters
  // with `why` and forgets its placeholder.
  void Forget(IsvcState& state, const std::string& why);
  void Shutdown();

 private:
  ReconcileResult Tick();
  // Swaps the revision (or an idle placeholder) for a placeholder: LOADING for the activator,
  // or UNLOADED (`unload`) until a repository load.
  void ScaleToZero(IsvcState& state, bool unload = false);
  void RunRepositoryOps(const std::string& key);
  void RepositoryLoad(IsvcState& state, serving::ModelRepository::Done done);
  void Wake(const std::string& key);
  void ApplyReload(IsvcState& state, LoadResult result);
  void StartReload(IsvcState& state);
  std::chrono::milliseconds GraceFor(const IsvcState& state) const;

  ReconcilerContext ctx_;
  ServingState* serving_;
  ModelLoader* loader_;
  EventRecorder* events_;

  std::mutex mu_;
  bool stopping_ = false;  // guarded by mu_
  // Placeholder entry → ISVC key, and the requests waiting on it.
  std::map<const serving::ModelEntry*, std::string> placeholders_;     // guarded by mu_
  std::map<std::string, std::vector<serving::ResumeParked>> waiters_;  // guarded by mu_
  struct RepositoryOp {
    bool load = false;
    serving::ModelRepository::Done done;
  };
  std::map<std::string, std::vector<RepositoryOp>> repository_ops_;  // guarded by mu_
};

}  // namespace ferry::controller
