// RouteTable: which InferenceService revision answers which Host — the
// routing half of the Istio VirtualServices KServe would create — published
// by the controller as an immutable snapshot and read by the ingress
// listeners on every request.
//
// Threads: a table is built or changed by one thread (the controller's
// worker) and is never changed once published; readers on any thread share
// it through shared_ptr<const RouteTable>. A copy shares its host maps with
// the original, split into shards: changing a few hosts of the copy copies
// only their shards (copy-on-write), so publishing one InferenceService's
// change costs a fraction of the table, not a rebuild of it.
#pragma once

#include <array>
#include <bitset>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "graph/graph_spec.h"
#include "serving/model_catalog.h"

namespace ferry::controller {

struct RevisionRoute {
  std::string revision;  // e.g. "irish-s3-predictor-00001"
  std::shared_ptr<const serving::ModelCatalog> catalog;  // one model, named after the ISVC
  int percent = 100;
};

// One InferenceService as the data plane sees it.
struct ServiceRoute {
  std::string name_space;
  std::string name;
  // Predictor pod labels as KServe/Knative set them (policy selectors match these).
  std::map<std::string, std::string, std::less<>> labels;
  std::vector<RevisionRoute> revisions;  // traffic split; empty = nothing ready
  std::string not_ready_reason;          // why there is no revision to route to
  // An InferenceGraph's route (no revisions): the graph its router runs (null: not ready) and
  // the identity the router calls each step with (its ServiceAccount's SPIFFE principal).
  bool is_graph = false;
  std::shared_ptr<const graph::Graph> graph;
  std::string graph_principal;
};

// Lets unordered_map look up a string_view without building a std::string.
struct HostHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

class RouteTable {
 public:
  RouteTable() = default;
  // Shares every shard with `other`; this copy's changes copy the shards they touch.
  RouteTable(const RouteTable& other);
  RouteTable& operator=(const RouteTable&) = delete;

  // `host` without port, lower-case.
  const ServiceRoute* FindExternal(std::string_view host) const;
  const ServiceRoute* FindInternal(std::string_view host) const;

  // Sets (replacing) the route of `host`.
  void AddExternalHost(std::string host, std::shared_ptr<const ServiceRoute> route);
  void AddInternalHost(std::string host, std::shared_ptr<const ServiceRoute> route);
  void RemoveExternalHost(std::string_view host);
  void RemoveInternalHost(std::string_view host);
  size_t size() const { return external_.size + internal_.size; }

 private:
  using HostMap = std::unordered_map<std::string, std::shared_ptr<const ServiceRoute>, HostHash,
                                     std::equal_to<>>;
  static constexpr size_t kShards = 256;
  struct Hosts {
    Hosts() = default;
    Hosts(const Hosts& other) : shards(other.shards), size(other.size) {}  // nothing owned
    const ServiceRoute* Find(std::string_view host) const;
    void Set(std::string host, std::shared_ptr<const ServiceRoute> route);
    void Remove(std::string_view host);
    HostMap& Writable(size_t shard);  // this table's own copy of the shard

    std::array<std::shared_ptr<HostMap>, kShards> shards;  // null: empty
    std::bitset<kShards> owned;  // shards only this table holds (safe to change)
    size_t size = 0;
  };
  Hosts external_;
  Hosts internal_;
};

// Knative/KServe host names for an InferenceService.
std::string ExternalHost(std::string_view name, std::string_view ns, std::string_view domain);
std::vector<std::string> InternalHosts(std::string_view name, std::string_view ns);

}  // namespace ferry::controller
