#include "controller/route_table.h"

namespace ferry::controller {

namespace {

size_t ShardOf(std::string_view host, size_t shards) { return HostHash()(host) % shards; }

}  // namespace

RouteTable::RouteTable(const RouteTable& other)
    : external_(other.external_), internal_(other.internal_) {}

const ServiceRoute* RouteTable::Hosts::Find(std::string_view host) const {
  const std::shared_ptr<HostMap>& shard = shards[ShardOf(host, kShards)];
  if (!shard) return nullptr;
  auto it = shard->find(host);
  return it == shard->end() ? nullptr : it->second.get();
}

RouteTable::HostMap& RouteTable::Hosts::Writable(size_t i) {
  if (!owned[i]) {
    shards[i] = shards[i] ? std::make_shared<HostMap>(*shards[i]) : std::make_shared<HostMap>();
    owned[i] = true;
  }
  return *shards[i];
}

void RouteTable::Hosts::Set(std::string host, std::shared_ptr<const ServiceRoute> route) {
  HostMap& map = Writable(ShardOf(host, kShards));
  auto [it, inserted] = map.try_emplace(std::move(host), route);
  if (inserted) {
    ++size;
  } else {
    it->second = std::move(route);
  }
}

void RouteTable::Hosts::Remove(std::string_view host) {
  size_t i = ShardOf(host, kShards);
  if (!shards[i] || shards[i]->find(host) == shards[i]->end()) return;
  HostMap& map = Writable(i);
  map.erase(map.find(host));
  --size;
}

const ServiceRoute* RouteTable::FindExternal(std::string_view host) const {
  return external_.Find(host);
}

const ServiceRoute* RouteTable::FindInternal(std::string_view host) const {
  return internal_.Find(host);
}

void RouteTable::AddExternalHost(std::string host, std::shared_ptr<const ServiceRoute> route) {
  external_.Set(std::move(host), std::move(route));
}

void RouteTable::AddInternalHost(std::string host, std::shared_ptr<const ServiceRoute> route) {
  internal_.Set(std::move(host), std::move(route));
}

void RouteTable::RemoveExternalHost(std::string_view host) { external_.Remove(host); }
void RouteTable::RemoveInternalHost(std::string_view host) { internal_.Remove(host); }

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
