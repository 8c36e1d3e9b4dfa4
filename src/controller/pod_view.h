// PodView: the v1 Pods that show an InferenceService's revisions to kubectl,
// as KServe's serverless pods would look — one pod per revision that runs
// (downloading, loading, serving, or failed in its storage initializer or its
// model server), named "{revision}-deployment-{hash}-{5 chars}" and labelled
// like Knative's (serving.kserve.io/inferenceservice, serving.knative.dev/
// revision, component: predictor, ...), with the init container
// storage-initializer (the download) and the container kserve-container (the
// model server), their states, restart counts and times, the pod conditions
// and the kubelet's Events. A failed download shows as the init container
// terminated with reason Error and exit code 1 (CrashLoopBackOff while a
// retry waits), and its log (`kubectl logs POD -c storage-initializer`) says
// why. Pods are the process's model servers: a restart of `ferry up` starts
// new ones (DeleteStale).
//
// A pod deleted by a user is noticed at the next reconcile (a written pod
// that is gone): a serving revision is loaded again, as a restarted pod
// would (the old model keeps answering until the new one is ready); a failed
// revision retries at once (like deleting a crash-looping pod); others just
// get a new pod.
//
// Who calls it: IsvcReconciler (NoticeDeleted before it acts, BeginAttempt
// when a load starts, Write after) and the Controller at start. Threads:
// worker thread only; the records live in IsvcState::pods.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/isvc_logs.h"
#include "controller/events.h"
#include "controller/isvc_state.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

// The node every pod runs on: the machine, the Node `ferry up` writes (main/node_object.h).
inline constexpr char kNodeName[] = "ferry";

class PodView {
 public:
  PodView(const ReconcilerContext& ctx, EventRecorder* events) : ctx_(ctx), events_(events) {}

  // Compares the pods written for `st` with the store; a missing one was
  // deleted by someone else. True when that asks for a new load (restart or
  // retry).
  bool NoticeDeleted(IsvcState& st);
  // The pod of `revision` for a load that starts now: a new pod, or the same
  // pod whose storage-initializer restarts. The returned sources name the
  // containers' current runs (for the loader's log lines).
  const PodRecord& BeginAttempt(IsvcState& st, const std::string& revision, int64_t generation,
                                const std::string& storage_uri);
  // Creates, updates or deletes the pods of `st` to match its state.
  void Write(IsvcState& st);
  // The InferenceService is gone: its pods go too.
  void RemoveAll(const std::string& ns, const std::string& name);
  // At start: pods of an earlier run ended with its process.
  void DeleteStale();

  // Log sources of a pod's containers (current runs).
  static api::LogSource InitLog(const PodRecord& pod);
  static api::LogSource MainLog(const PodRecord& pod);

 private:
  // What the revision's pod shows now: "" (no pod), downloading, loading,
  // running, init-failed, init-backoff, failed.
  std::string StateOf(const IsvcState& st, const std::string& revision) const;
  static void Advance(PodRecord& pod, const std::string& state);
  nlohmann::json Build(const IsvcState& st, const std::string& revision,
                       const PodRecord& pod) const;
  void Event(const IsvcState& st, const PodRecord& pod, const std::string& type,
             const std::string& reason, const std::string& field_path,
             const std::string& message, const std::string& component = "kubelet");

  ReconcilerContext ctx_;
  EventRecorder* events_;
};

}  // namespace ferry::controller
