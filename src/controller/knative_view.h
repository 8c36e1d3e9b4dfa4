// KnativeView: the serving.knative.dev/v1 objects a KServe cluster shows for
// an InferenceService's predictor — Service "{isvc}-predictor" (ksvc),
// Configuration and Route of the same name, and a Revision per revision that
// runs (serving, loading or failed) — derived from its IsvcState after every
// reconcile and written to the store, so `kubectl get ksvc/revisions/routes/
// configurations` (-w, -l, -o yaml, describe) read them like any object. The
// API refuses users' writes to them (api/kinds_knative.cc).
//
// Conditions follow Knative's: the Configuration (and the ksvc) is
// RevisionFailed with `Revision "R" failed with message: ...` when the
// latest created revision failed; the Route is RevisionMissing until a
// revision is ready; a Revision's Ready is Unknown (Deploying) while it
// loads and False with the failure's reason and message when it failed.
//
// Who calls it: IsvcReconciler (Write, RemoveAll) and the Controller at start
// (DeleteStale). Threads: worker thread only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/isvc_state.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class KnativeView {
 public:
  explicit KnativeView(const ReconcilerContext& ctx) : ctx_(ctx) {}

  // Writes the objects of `st` whose content changed; deletes revisions
  // that no longer run. `domain` is the InferenceService's URL domain.
  void Write(const IsvcState& st, const std::string& domain);
  void RemoveAll(const std::string& ns, const std::string& name);
  // At start: objects of InferenceServices deleted while Ferry was down go;
  // the others are written again by their first reconcile.
  void DeleteStale();

 private:
  void Put(const nlohmann::json& desired);

  ReconcilerContext ctx_;
  // "Kind ns/name" → the content last written (labels, spec, status).
  std::map<std::string, nlohmann::json> written_;
};

}  // namespace ferry::controller
