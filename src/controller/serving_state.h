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
#include "graph/graph_spec.h"
#include "controller/route_table.h"
#include "controller/work_queue.h"
#include "logger/dispatcher.h"
#include "serving/metrics.h"

namespace ferry::controller {

// Knative config-domain: the default domain plus label-selected ones.
struct DomainConfig {
  std::string default_domain;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> selectors;
  bool operator==(const DomainConfig&) const = default;
};

// An InferenceGraph as the data plane serves it.
struct GraphState {
  std::string ns;
  std::string name;
  std::map<std::string, std::string> labels;  // metadata.labels (domain selectors, policies)
  std::string service_account = "default";    // spec.serviceAccountName: the router's identity
  std::shared_ptr<const graph::Graph> graph;  // null: not ready
  std::string not_ready_code;    // KServe-style reason word (ServiceNotReady, InvalidGraph...)
  std::string not_ready_reason;  // the message naming what waits on what
  std::string fingerprint;  // what was published: republish only when it changes
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
  std::map<std::string, GraphState>& graphs() { return graphs_; }  // by "ns/name"

  const DomainConfig& domains() const { return domains_; }
  void SetDomains(DomainConfig domains) { domains_ = std::move(domains); }
  // The domain of `state`'s URLs: the most specific matching selector, else the default.
  const std::string& DomainFor(const IsvcState& state) const { return DomainFor(state.labels); }
  const std::string& DomainFor(const std::map<std::string, std::string>& labels) const;

  // Where the revisions of InferenceServices with a logger queue their events; null: none.
  void SetPayloadLogs(std::shared_ptr<logger::Dispatcher> d) { payload_logs_ = std::move(d); }

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

  // Builds the RouteTable from every IsvcState and graph and hands it to the listener.
  void PublishRoutes();
  // The same after a change of `changed` alone: when its hosts are the ones
  // it last had, all its own (or new and unclaimed), only its hosts' entries
  // change in a copy of the last table (route_table.h); otherwise (a host
  // shared with another service or graph, a removal) the whole table is rebuilt.
  void PublishRoutes(const IsvcState& changed);

 private:
  WorkQueue* queue_;
  serving::Metrics* metrics_;
  int predict_threads_;
  std::shared_ptr<logger::Dispatcher> payload_logs_;
  RoutesListener listener_;
  std::map<std::string, IsvcState> isvcs_;
  std::map<std::string, GraphState> graphs_;
  std::vector<Revision> retired_;
  DomainConfig domains_;

  // What the last published table holds for each InferenceService (by "ns/name").
  struct PublishedHosts {
    std::vector<std::string> external;
    std::vector<std::string> internal;
    bool owns_all = false;  // every one of them routes to this service
  };
  std::shared_ptr<const RouteTable> routes_;  // the last published table
  std::map<std::string, PublishedHosts> published_;
};

}  // namespace ferry::controller
