// ScaleToZeroReconciler: Knative's autoscaler and activator for
// `minReplicas: 0`, in-process. A tick (WorkKey::ScaleTick) swaps a model
// idle for its grace period for a placeholder entry and frees retired
// revisions; a request that reaches a placeholder is parked by Activate, the
// model is reloaded from its directory on the ModelLoader (WorkKey::Wake),
// and the parked requests are resumed on the new revision's executor.
//
// Threads: Activate is called by the model router on any thread (the
// placeholder and waiter maps are under mu_); everything else on the worker
// thread. Shutdown fails every parked request and refuses new ones.
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

namespace ferry::controller {

class ScaleToZeroReconciler final : public Reconciler {
 public:
  ScaleToZeroReconciler(const ReconcilerContext& ctx, ServingState* serving, ModelLoader* loader,
                        EventRecorder* events)
      : ctx_(ctx), serving_(serving), loader_(loader), events_(events) {}

  // kScaleTick and kWake keys.
  ReconcileResult Reconcile(const WorkKey& key) override;

  // Any thread: parks a request that reached a scaled-to-zero placeholder.
  // False when `entry` is no placeholder (or the controller is stopping).
  bool Activate(const serving::ModelEntry& entry, serving::ResumeParked resume);
  // Resumes the requests waiting on `state` with `catalog` (null: fails them with `error`).
  void FinishWake(IsvcState& state, std::shared_ptr<const serving::ModelCatalog> catalog,
                  const std::string& error);
  // The InferenceService is gone (deleted or re-created): fails its waiters
  // with `why` and forgets its placeholder.
  void Forget(IsvcState& state, const std::string& why);
  void Shutdown();

 private:
  ReconcileResult Tick();
  void ScaleToZero(IsvcState& state);
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
};

}  // namespace ferry::controller
