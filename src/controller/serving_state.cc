#include "controller/serving_state.h"

#include <algorithm>

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

const std::string& ServingState::DomainFor(const IsvcState& st) const {
  const std::string* best = &domains_.default_domain;
  size_t best_size = 0;
  for (const auto& [domain, selector] : domains_.selectors) {
    bool match = !selector.empty();
    for (const auto& [k, v] : selector) {
      auto it = st.labels.find(k);
      match = match && it != st.labels.end() && it->second == v;
    }
    if (match && selector.size() > best_size) {
      best = &domain;
      best_size = selector.size();
    }
  }
  return *best;
}

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
  entry->counters->load_seconds = r.model->load_seconds;
  entry->counters->loaded = 1;
  // Batching callers block until their batch runs, so the pool bounds the batch.
  entry->executor = std::make_shared<serving::Executor>(
      std::max(predict_threads_, runtime::RecommendedCallerThreads(*r.model->model)), 1024);
  entry->served = std::shared_ptr<const runtime::ServedModel>(std::move(r.model));
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(entry);
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

void ServingState::PublishRoutes() {
  auto table = std::make_shared<RouteTable>();
  for (const auto& [key, s] : isvcs_) {
    std::shared_ptr<const ServiceRoute> route = RouteOf(s);
    const std::string& domain = DomainFor(s);
    table->AddExternalHost(ExternalHost(s.name, s.ns, domain), route);
    table->AddExternalHost(ExternalHost(s.name + "-predictor", s.ns, domain), route);
    for (auto& h : InternalHosts(s.name, s.ns)) table->AddInternalHost(h, route);
  }
  if (listener_) listener_(table);
}

}  // namespace ferry::controller
