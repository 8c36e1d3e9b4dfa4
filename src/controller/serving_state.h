// ServingState: what the controller serves — every InferenceService's
// IsvcState, the revisions taken out of routing but maybe still answering a
// request, and the URL domains (Knative's config-domain). It builds the
// RouteTable snapshot (Host → ready revision) from them and hands it to the
// routes listener.
//
// Who: the InferenceService, scale-to-zero and domain reconcilers share one
// ServingState, owned by the Controller. Threads: worker thread only; the
// listener is called on it with every new snapshot.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/isvc_state.h"
#include "controller/route_table.h"
#include "controller/work_queue.h"
#include "serving/metrics.h"

namespace ferry::controller {

// Knative config-domain: the default domain plus label-selected ones.
struct DomainConfig {
  std::string default_domain;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> selectors;
  bool operator==(const DomainConfig&) const = default;
};

// What a finished download + load (or a reload after scale to zero) gives.
struct LoadResult {
  std::string attempt;
  std::string revision;
  std::string spec_hash;
  std::string dir;
  int64_t generation = 0;
  std::optional<runtime::BatchingOptions> batcher;
  Status status;       // OK with `model`, or why the download/load failed
  std::string reason;  // KServe reason when failed
  std::string stage;   // when failed: "download" or "load"
  std::unique_ptr<runtime::ServedModel> model;
};

class ServingState {
 public:
  using RoutesListener = std::function<void(std::shared_ptr<const RouteTable>)>;

  ServingState(WorkQueue* queue, serving::Metrics* metrics, int predict_threads,
               std::string default_domain);

  void SetRoutesListener(RoutesListener listener) { listener_ = std::move(listener); }

  std::map<std::string, IsvcState>& isvcs() { return isvcs_; }  // by "ns/name"
  IsvcState* Find(const std::string& key);

  const DomainConfig& domains() const { return domains_; }
  void SetDomains(DomainConfig domains) { domains_ = std::move(domains); }
  // The domain of `state`'s URLs: the most specific matching selector, else the default.
  const std::string& DomainFor(const IsvcState& state) const;

  // A loaded model as a routable revision: entry (executor, counters,
  // timeout) + one-model catalog. Consumes result.model.
  Revision MakeRevision(const IsvcState& state, LoadResult& result);
  // Takes `revision` out of routing; its memory is freed by FreeUnused once
  // no request holds it.
  void Retire(std::optional<Revision>& revision);
  // Frees retired revisions nothing uses any more; true if some remain.
  bool FreeUnused();
  // Asks for a scale-to-zero tick soon (idle checks, freeing retired revisions).
  void ScheduleTick();

  // Builds the RouteTable from every IsvcState and hands it to the listener.
  void PublishRoutes();

 private:
  WorkQueue* queue_;
  serving::Metrics* metrics_;
  int predict_threads_;
  RoutesListener listener_;
  std::map<std::string, IsvcState> isvcs_;
  std::vector<Revision> retired_;
  DomainConfig domains_;
};

}  // namespace ferry::controller
