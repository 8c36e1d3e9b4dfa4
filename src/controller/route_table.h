// RouteTable: which InferenceService revision answers which Host — the
// routing half of the Istio VirtualServices KServe would create — published
// by the controller as an immutable snapshot and read by the ingress
// listeners on every request.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
};

// Lets unordered_map look up a string_view without building a std::string.
struct HostHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

class RouteTable {
 public:
  // `host` without port, lower-case.
  const ServiceRoute* FindExternal(std::string_view host) const;
  const ServiceRoute* FindInternal(std::string_view host) const;

  void AddExternalHost(std::string host, std::shared_ptr<const ServiceRoute> route);
  void AddInternalHost(std::string host, std::shared_ptr<const ServiceRoute> route);
  size_t size() const { return external_.size() + internal_.size(); }

 private:
  using HostMap = std::unordered_map<std::string, std::shared_ptr<const ServiceRoute>, HostHash,
                                     std::equal_to<>>;
  HostMap external_;
  HostMap internal_;
};

// Knative/KServe host names for an InferenceService.
std::string ExternalHost(std::string_view name, std::string_view ns, std::string_view domain);
std::vector<std::string> InternalHosts(std::string_view name, std::string_view ns);

}  // namespace ferry::controller
