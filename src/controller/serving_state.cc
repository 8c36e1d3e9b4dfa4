#include "controller/serving_state.h"

#include <algorithm>
#include <filesystem>

#include "serving/payload_log.h"

namespace ferry::controller {
namespace {

constexpr std::chrono::milliseconds kTickInterval{200};

std::shared_ptr<const ServiceRoute> RouteOf(const IsvcState& s) {
  auto route = std::make_shared<ServiceRoute>();
  route->name_space = s.ns;
  route->name = s.name;
  route->labels = {{"serving.kserve.io/inferenceservice", s.name},
                   {"component", "predictor"},
                   {"serving.knative.dev/service", s.name + "-predictor"},
                   {"serving.knative.dev/configuration", s.name + "-predictor"}};
  if (!s.latest_ready) {
    route->not_ready_reason = s.loading   ? "its model is still loading"
                              : s.failure ? s.failure->message
                                          : "it is not ready";
    return route;
  }
  route->labels["serving.knative.dev/revision"] = s.latest_ready->name;
  route->labels["app"] = s.latest_ready->name;
  if (s.previous && s.canary()) {
    route->revisions.push_back({s.previous->name, s.previous->catalog, 100 - s.canary_percent});
    route->revisions.push_back({s.latest_ready->name, s.latest_ready->catalog, s.canary_percent});
  } else {
    route->revisions.push_back({s.latest_ready->name, s.latest_ready->catalog, 100});
  }
  return route;
}

// The router of a graph runs as a Knative Service named after it (KServe's labels).
std::shared_ptr<const ServiceRoute> GraphRouteOf(const GraphState& g) {
  auto route = std::make_shared<ServiceRoute>();
  route->name_space = g.ns;
  route->name = g.name;
  route->is_graph = true;
  for (const auto& [k, v] : g.labels) route->labels[k] = v;
  route->labels["serving.kserve.io/inferencegraph"] = g.name;
  route->labels["serving.knative.dev/service"] = g.name;
  route->labels["serving.knative.dev/configuration"] = g.name;
  route->graph = g.graph;
  route->graph_principal = "cluster.local/ns/" + g.ns + "/sa/" + g.service_account;
  route->not_ready_reason = g.not_ready_reason;
  return route;
}

}  // namespace

ServingState::ServingState(WorkQueue* queue, serving::Metrics* metrics, int predict_threads,
                           std::string default_domain)
    : queue_(queue), metrics_(metrics), predict_threads_(predict_threads) {
  domains_.default_domain = std::move(default_domain);
}

IsvcState* ServingState::Find(const std::string& key) {
  auto it = isvcs_.find(key);
  return it == isvcs_.end() ? nullptr : &it->second;
}

const std::string& ServingState::DomainFor(const std::map<std::string, std::string>& labels) const {
  const std::string* best = &domains_.default_domain;
  size_t best_size = 0;
  for (const auto& [domain, selector] : domains_.selectors) {
    bool match = !selector.empty();
    for (const auto& [k, v] : selector) {
      auto it = labels.find(k);
      match = match && it != labels.end() && it->second == v;
    }
    if (match && selector.size() > best_size) {
      best = &domain;
      best_size = selector.size();
    }
  }
  return *best;
}

namespace {

// The bytes of the files under `dir`: what a model's arrays take once loaded, as closely as the
// runtimes can tell without counting their allocations (docs/troubleshooting-metrics.md).
uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      uint64_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

}  // namespace

Revision ServingState::MakeRevision(const IsvcState& st, LoadResult& r) {
  auto entry = std::make_shared<serving::ModelEntry>();
  entry->name = st.name;
  entry->state = serving::ModelEntry::State::kReady;
  entry->timeout = std::chrono::seconds(st.timeout_seconds);
  if (st.container_concurrency > 0) {
    entry->limiter = std::make_shared<serving::ConcurrencyLimiter>(
        st.container_concurrency,
        serving::ConcurrencyLimiter::DefaultQueueDepth(st.container_concurrency),
        metrics_->Register(st.key()));
  }
  entry->counters = metrics_->Register(st.key());
  if (st.logger && payload_logs_) {
    auto pl = std::make_shared<serving::PayloadLogger>();
    pl->spec = *st.logger;
    pl->source.inference_service = st.name;
    pl->source.ns = st.ns;
    // KServe's agent names the pod as the events' source (--source-uri).
    auto pod = st.pods.find(r.revision);
    pl->source.source = pod != st.pods.end() ? pod->second.name : r.revision;
    pl->dispatcher = payload_logs_;
    entry->payload_logger = std::move(pl);
  }
  entry->counters->load_seconds = r.model->load_seconds;
  entry->counters->loaded = 1;
  // Batching callers block until their batch runs, so the pool bounds the batch.
  entry->executor = std::make_shared<serving::Executor>(
      std::max(predict_threads_, runtime::RecommendedCallerThreads(*r.model->model)), 1024);
  entry->memory_bytes = DirectoryBytes(r.dir);
  entry->served = std::shared_ptr<const runtime::ServedModel>(std::move(r.model));
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(entry);
  catalog->name_space = st.ns;
  return Revision{r.revision, r.generation, r.spec_hash, r.dir, r.batcher, entry, catalog};
}

void ServingState::Retire(std::optional<Revision>& rev) {
  if (!rev) return;
  retired_.push_back(std::move(*rev));
  rev.reset();
  ScheduleTick();
}

bool ServingState::FreeUnused() {
  // A revision leaves memory only when nothing routes to it any more (a
  // request in flight keeps its catalog), and always on the worker thread,
  // never on the revision's own executor.
  std::erase_if(retired_, [](const Revision& r) {
    return r.catalog.use_count() == 1 && r.entry.use_count() <= 2;
  });
  return !retired_.empty();
}

void ServingState::ScheduleTick() { queue_->AddAfter(WorkKey::ScaleTick(), kTickInterval); }

namespace {

struct HostsOf {
  std::vector<std::string> external;
  std::vector<std::string> internal;
};

HostsOf IsvcHosts(const IsvcState& s, const std::string& domain) {
  return {{ExternalHost(s.name, s.ns, domain), ExternalHost(s.name + "-predictor", s.ns, domain)},
          InternalHosts(s.name, s.ns)};
}

bool Routes(const ServiceRoute* route, const IsvcState& s) {
  return route != nullptr && !route->is_graph && route->name == s.name &&
         route->name_space == s.ns;
}

}  // namespace

void ServingState::PublishRoutes() {
  auto table = std::make_shared<RouteTable>();
  // Graphs first: an InferenceService of the same name keeps its hosts.
  for (const auto& [key, g] : graphs_) {
    std::shared_ptr<const ServiceRoute> route = GraphRouteOf(g);
    table->AddExternalHost(ExternalHost(g.name, g.ns, DomainFor(g.labels)), route);
    for (const std::string& base : {g.name + "." + g.ns + ".svc.cluster.local",
                                    g.name + "." + g.ns + ".svc", g.name + "." + g.ns}) {
      table->AddInternalHost(base, route);
    }
  }
  for (const auto& [key, s] : isvcs_) {
    std::shared_ptr<const ServiceRoute> route = RouteOf(s);
    HostsOf hosts = IsvcHosts(s, DomainFor(s));
    for (const std::string& h : hosts.external) table->AddExternalHost(h, route);
    for (const std::string& h : hosts.internal) table->AddInternalHost(h, route);
  }
  // Which services ended up owning all their hosts (a later one may have taken some).
  published_.clear();
  for (const auto& [key, s] : isvcs_) {
    HostsOf hosts = IsvcHosts(s, DomainFor(s));
    bool owns_all = true;
    for (const std::string& h : hosts.external) owns_all &= Routes(table->FindExternal(h), s);
    for (const std::string& h : hosts.internal) owns_all &= Routes(table->FindInternal(h), s);
    published_[key] = {std::move(hosts.external), std::move(hosts.internal), owns_all};
  }
  routes_ = table;
  if (listener_) listener_(table);
}

void ServingState::PublishRoutes(const IsvcState& changed) {
  std::string key = changed.key();
  auto current = isvcs_.find(key);
  if (!routes_ || current == isvcs_.end() || &current->second != &changed) {
    return PublishRoutes();
  }
  HostsOf hosts = IsvcHosts(changed, DomainFor(changed));
  auto was = published_.find(key);
  bool same_hosts = was != published_.end() && was->second.owns_all &&
                    was->second.external == hosts.external &&
                    was->second.internal == hosts.internal;
  bool unclaimed = was == published_.end();
  for (const std::string& h : hosts.external) unclaimed &= !routes_->FindExternal(h);
  for (const std::string& h : hosts.internal) unclaimed &= !routes_->FindInternal(h);
  if (!same_hosts && !unclaimed) return PublishRoutes();
  auto table = std::make_shared<RouteTable>(*routes_);
  std::shared_ptr<const ServiceRoute> route = RouteOf(changed);
  for (const std::string& h : hosts.external) table->AddExternalHost(h, route);
  for (const std::string& h : hosts.internal) table->AddInternalHost(h, route);
  published_[key] = {std::move(hosts.external), std::move(hosts.internal), true};
  routes_ = table;
  if (listener_) listener_(table);
}

}  // namespace ferry::controller
