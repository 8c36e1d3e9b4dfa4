#include "controller/scale_zero_reconciler.h"

#include <cstdio>

namespace ferry::controller {
namespace {

constexpr size_t kMaxWaiters = 4096;  // per InferenceService; more get the usual 503
constexpr std::chrono::milliseconds kTickInterval{200};

uint64_t TotalRequests(const serving::Metrics::ModelCounters* c) {
  if (c == nullptr) return 0;
  uint64_t n = 0;
  for (const auto& per_protocol : c->requests) {
    for (const auto& count : per_protocol) n += count.load(std::memory_order_relaxed);
  }
  return n;
}

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", ms.count() / 1000.0);
  return buf;
}

}  // namespace

ReconcileResult ScaleToZeroReconciler::Reconcile(const WorkKey& key) {
  if (key.kind == WorkKind::kScaleTick) return Tick();
  if (key.kind == WorkKind::kRepository) {
    RunRepositoryOps(key.ObjectKey());
    return {};
  }
  Wake(key.ObjectKey());
  return {};
}

std::chrono::milliseconds ScaleToZeroReconciler::GraceFor(const IsvcState& st) const {
  return st.scale.grace_ms >= 0 ? std::chrono::milliseconds(st.scale.grace_ms)
                                : ctx_.options->scale_to_zero_grace;
}

bool ScaleToZeroReconciler::Activate(const serving::ModelEntry& entry,
                                     serving::ResumeParked resume) {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    auto it = placeholders_.find(&entry);
    if (it == placeholders_.end()) return false;
    auto& waiting = waiters_[it->second];
    if (waiting.size() >= kMaxWaiters) return false;
    waiting.push_back(std::move(resume));
    key = it->second;
  }
  size_t slash = key.find('/');
  ctx_.queue->Add(WorkKey::Wake(key.substr(0, slash), key.substr(slash + 1)));
  return true;
}

ReconcileResult ScaleToZeroReconciler::Tick() {
  bool watching = false;
  auto now = std::chrono::steady_clock::now();
  for (auto& [key, st] : serving_->isvcs()) {
    if (st.scale.min_replicas != 0 || !st.latest_ready || st.scale.scaled_to_zero || st.previous ||
        st.loading) {
      continue;
    }
    watching = true;
    uint64_t n = TotalRequests(st.latest_ready->entry->counters);
    if (n != st.scale.last_requests) {
      st.scale.last_requests = n;
      st.scale.last_active = now;
    } else if (now - st.scale.last_active >= GraceFor(st)) {
      ScaleToZero(st);
    }
  }
  bool retired_left = serving_->FreeUnused();
  if (watching || retired_left) return {.requeue_after = kTickInterval};
  return {};
}

void ScaleToZeroReconciler::ScaleToZero(IsvcState& st, bool unload) {
  auto placeholder = std::make_shared<serving::ModelEntry>();
  placeholder->name = st.name;
  placeholder->state =
      unload ? serving::ModelEntry::State::kUnloaded : serving::ModelEntry::State::kLoading;
  if (unload) {
    placeholder->failure = "unloaded through the model repository API; POST "
                           "/v2/repository/models/" + st.name + "/load loads it again";
  }
  placeholder->counters = st.latest_ready->entry->counters;
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(placeholder);
  catalog->name_space = st.ns;
  Revision parked = *st.latest_ready;
  parked.entry = placeholder;
  parked.catalog = catalog;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(placeholders_, [key = st.key()](const auto& p) { return p.second == key; });
    if (!unload) placeholders_[placeholder.get()] = st.key();
  }
  if (placeholder->counters != nullptr) placeholder->counters->loaded = 0;
  bool was_idle = st.scale.scaled_to_zero;
  serving_->Retire(st.latest_ready);
  st.latest_ready = std::move(parked);
  st.scale.scaled_to_zero = true;
  st.scale.unloaded = unload;
  serving_->PublishRoutes(st);
  if (unload) {
    // Requests parked on the idle placeholder would otherwise wait for a wake that never comes.
    if (was_idle) FinishWake(st, nullptr, "it was unloaded through the model repository API");
    events_->Record(st, "Normal", "Unloaded",
                    "revision " + st.latest_ready->name +
                        " unloaded through the model repository API; a repository load loads "
                        "it again");
  } else {
    events_->Record(st, "Normal", "ScaledToZero",
                    "revision " + st.latest_ready->name + " unloaded after " +
                        Seconds(GraceFor(st)) +
                        " without requests (minReplicas: 0); the next request loads it again");
  }
  ctx_.queue->Add(WorkKey::Isvc(st.ns, st.name));  // status: Active=False
}

void ScaleToZeroReconciler::RequestRepositoryOp(const std::string& ns, const std::string& name,
                                                bool load, serving::ModelRepository::Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      repository_ops_[ns + "/" + name].push_back({load, std::move(done)});
      done = nullptr;
    }
  }
  if (done) return done(UnavailableError("ferry up is shutting down; retry after it restarts"));
  ctx_.queue->Add(WorkKey::Repository(ns, name));
}

void ScaleToZeroReconciler::RunRepositoryOps(const std::string& key) {
  std::vector<RepositoryOp> ops;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repository_ops_.find(key);
    if (it == repository_ops_.end()) return;
    ops = std::move(it->second);
    repository_ops_.erase(it);
  }
  for (auto& op : ops) {
    IsvcState* st = serving_->Find(key);
    if (st == nullptr || !st->latest_ready) {
      std::string name = key.substr(key.find('/') + 1);
      op.done(st == nullptr ? NotFoundError(serving::ModelDoesNotExist(name))
                            : UnavailableError("Model with name " + name +
                                               " is not ready: it has no loaded revision yet; "
                                               "see kubectl describe isvc " + name));
      continue;
    }
    if (op.load) {
      RepositoryLoad(*st, std::move(op.done));
      continue;
    }
    if (st->previous && st->canary()) {
      // Parking one of two routed revisions would answer a share of the traffic with 503.
      op.done(FailedPreconditionError(
          "InferenceService " + st->name + " splits its traffic between revisions " +
          st->previous->name + " and " + st->latest_ready->name + " (canaryTrafficPercent: " +
          std::to_string(st->canary_percent) +
          "); unload it once the rollout is done: set canaryTrafficPercent to 100 or remove it"));
      continue;
    }
    if (!st->scale.unloaded) ScaleToZero(*st, /*unload=*/true);
    op.done(Status());  // unloading an unloaded model has nothing to do
  }
}

void ScaleToZeroReconciler::RepositoryLoad(IsvcState& st, serving::ModelRepository::Done done) {
  // A loaded revision is what the spec asks for already: nothing to load.
  if (!st.scale.scaled_to_zero) return done(Status());
  st.scale.unloaded = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_[st.key()].push_back(
        [done = std::move(done), name = st.name](std::shared_ptr<const serving::ModelCatalog> c,
                                                 std::string error) {
          done(c != nullptr ? Status()
                            : UnavailableError("Model with name " + name +
                                               " is not ready: " + error));
        });
  }
  if (!st.scale.waking) StartReload(st);
}

void ScaleToZeroReconciler::Wake(const std::string& key) {
  std::optional<LoadResult> result = loader_->TakeReloaded(key);
  IsvcState* st = serving_->Find(key);
  if (st == nullptr) return;
  if (result) {
    st->scale.waking = false;
    if (st->scale.unloaded) {
      // Unloaded while the reload ran: it stays unloaded.
      FinishWake(*st, nullptr, "it was unloaded through the model repository API");
      return;
    }
    if (!st->scale.scaled_to_zero || !st->latest_ready ||
        st->latest_ready->name != result->revision) {
      return;  // a newer revision became ready meanwhile and took the waiters
    }
    ApplyReload(*st, std::move(*result));
    return;
  }
  if (!st->scale.scaled_to_zero) {
    // Woken by a request that raced the reload, or minReplicas changed.
    if (st->latest_ready) FinishWake(*st, st->latest_ready->catalog, "");
    return;
  }
  if (st->scale.unloaded) return;  // only a repository load wakes it
  if (!st->scale.waking) StartReload(*st);
}

void ScaleToZeroReconciler::StartReload(IsvcState& st) {
  st.scale.waking = true;
  events_->Log(st, "activating revision " + st.latest_ready->name +
                       ": a request arrived while scaled to zero");
  LoadResult base;
  base.attempt = "wake";
  base.revision = st.latest_ready->name;
  base.generation = st.latest_ready->generation;
  base.spec_hash = st.latest_ready->spec_hash;
  base.dir = st.latest_ready->dir;
  base.batcher = st.latest_ready->batcher;
  if (!loader_->Reload(st.ns, st.name, std::move(base))) {
    st.scale.waking = false;
    FinishWake(st, nullptr, "the model loader queue is full; retry later");
  }
}

void ScaleToZeroReconciler::ApplyReload(IsvcState& st, LoadResult result) {
  if (!result.status.ok()) {
    events_->Record(
        st, "Warning", "ActivationFailed",
        "revision " + result.revision + " could not be loaded again: " + result.status.message());
    FinishWake(st, nullptr,
               "it was scaled to zero and loading it again failed: " + result.status.message());
    return;
  }
  Revision rev = serving_->MakeRevision(st, result);
  serving_->Retire(st.latest_ready);
  st.latest_ready = std::move(rev);
  st.scale.scaled_to_zero = false;
  st.scale.last_active = std::chrono::steady_clock::now();
  st.scale.last_requests = TotalRequests(st.latest_ready->entry->counters);
  serving_->PublishRoutes(st);
  FinishWake(st, st.latest_ready->catalog, "");
  events_->Record(st, "Normal", "Activated",
                  "revision " + st.latest_ready->name + " loaded again for waiting requests");
  ctx_.queue->Add(WorkKey::Isvc(st.ns, st.name));
  serving_->ScheduleTick();
}

void ScaleToZeroReconciler::FinishWake(IsvcState& st,
                                       std::shared_ptr<const serving::ModelCatalog> catalog,
                                       const std::string& error) {
  std::string key = st.key();
  std::vector<serving::ResumeParked> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiters_.find(key);
    if (it != waiters_.end()) {
      waiting = std::move(it->second);
      waiters_.erase(it);
    }
    // After a failed reload the placeholder stays: the next request tries again.
    if (catalog != nullptr) {
      std::erase_if(placeholders_, [&](const auto& p) { return p.second == key; });
    }
  }
  if (waiting.empty()) return;
  events_->Log(st, std::to_string(waiting.size()) + " waiting request(s) " +
                       (catalog ? "resumed" : "failed: " + error));
  const serving::ModelEntry* entry = catalog ? catalog->models.front().get() : nullptr;
  for (auto& resume : waiting) {
    // Predicts run on the model's executor, not on the controller's thread.
    if (entry != nullptr && entry->executor &&
        entry->executor->Submit([resume, catalog] { resume(catalog, ""); })) {
      continue;
    }
    resume(catalog, error);
  }
}

void ScaleToZeroReconciler::Forget(IsvcState& st, const std::string& why) {
  FinishWake(st, nullptr, why);
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(placeholders_, [key = st.key()](const auto& p) { return p.second == key; });
}

void ScaleToZeroReconciler::Shutdown() {
  std::map<std::string, std::vector<serving::ResumeParked>> waiting;
  std::map<std::string, std::vector<RepositoryOp>> ops;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    waiting.swap(waiters_);
    ops.swap(repository_ops_);
  }
  for (auto& [key, list] : ops) {
    for (auto& op : list) op.done(UnavailableError("ferry up is shutting down"));
  }
  for (auto& [key, list] : waiting) {
    for (auto& resume : list) resume(nullptr, "ferry up is shutting down");
  }
}

}  // namespace ferry::controller
