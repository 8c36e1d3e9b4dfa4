#include "controller/route_table.h"

namespace ferry::controller {

const ServiceRoute* RouteTable::FindExternal(std::string_view host) const {
  auto it = external_.find(host);
  return it == external_.end() ? nullptr : it->second.get();
}

const ServiceRoute* RouteTable::FindInternal(std::string_view host) const {
  auto it = internal_.find(host);
  return it == internal_.end() ? nullptr : it->second.get();
}

void RouteTable::AddExternalHost(std::string host, std::shared_ptr<const ServiceRoute> route) {
  external_[std::move(host)] = std::move(route);
}

void RouteTable::AddInternalHost(std::string host, std::shared_ptr<const ServiceRoute> route) {
  internal_[std::move(host)] = std::move(route);
}

std::string ExternalHost(std::string_view name, std::string_view ns, std::string_view domain) {
  return std::string(name) + "." + std::string(ns) + "." + std::string(domain);
}

std::vector<std::string> InternalHosts(std::string_view name, std::string_view ns) {
  std::string n(name), s(ns);
  std::vector<std::string> hosts;
  for (const std::string& base : {n, n + "-predictor"}) {
    hosts.push_back(base + "." + s + ".svc.cluster.local");
    hosts.push_back(base + "." + s + ".svc");
    hosts.push_back(base + "." + s);
  }
  return hosts;
}

}  // namespace ferry::controller
