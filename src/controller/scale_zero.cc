// Scale to zero (minReplicas: 0), Knative's activator in-process: an idle
// model is swapped for a placeholder entry; a request that reaches the
// placeholder is parked here (Activate), the model is loaded again from its
// directory on the loader pool, and the parked requests are routed to it.
// Also frees retired revisions once no request holds them.
#include <cstdio>

#include "controller/controller_impl.h"
#include "runtime/loader.h"

namespace ferry::controller {
namespace {

constexpr size_t kMaxWaiters = 4096;  // per InferenceService; more get the usual 503
constexpr std::chrono::milliseconds kTick{200};

uint64_t TotalRequests(const server::Metrics::ModelCounters* c) {
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

std::chrono::milliseconds Controller::Impl::GraceFor(const IsvcState& st) const {
  return st.scale_to_zero_ms >= 0 ? std::chrono::milliseconds(st.scale_to_zero_ms)
                                  : options_.scale_to_zero_grace;
}

bool Controller::Impl::Activate(const server::ModelEntry& entry,
                                server::ModelRouter::Resume resume) {
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
  Enqueue("wake/" + key);
  return true;
}

void Controller::Impl::ScheduleTick() {
  if (tick_scheduled_) return;
  tick_scheduled_ = true;
  EnqueueAfter("tick", kTick);
}

void Controller::Impl::Tick() {
  tick_scheduled_ = false;
  bool again = false;
  auto now = std::chrono::steady_clock::now();
  for (auto& [key, st] : isvcs_) {
    if (st.min_replicas != 0 || !st.latest_ready || st.scaled_to_zero || st.previous ||
        st.loading) {
      continue;
    }
    again = true;
    uint64_t n = TotalRequests(st.latest_ready->entry->counters);
    if (n != st.last_requests) {
      st.last_requests = n;
      st.last_active = now;
    } else if (now - st.last_active >= GraceFor(st)) {
      ScaleToZero(st);
    }
  }
  // A revision leaves memory only when nothing routes to it any more (a
  // request in flight keeps its catalog), and always on this thread, never on
  // the revision's own executor.
  std::erase_if(retired_, [](const Revision& r) {
    return r.catalog.use_count() == 1 && r.entry.use_count() <= 2;
  });
  if (again || !retired_.empty()) ScheduleTick();
}

void Controller::Impl::ScaleToZero(IsvcState& st) {
  std::string key = st.ns + "/" + st.name;
  auto placeholder = std::make_shared<server::ModelEntry>();
  placeholder->name = st.name;
  placeholder->state = server::ModelEntry::State::kLoading;
  placeholder->counters = st.latest_ready->entry->counters;
  auto catalog = std::make_shared<server::ModelCatalog>();
  catalog->models.push_back(placeholder);
  Revision parked = *st.latest_ready;
  parked.entry = placeholder;
  parked.catalog = catalog;
  {
    std::lock_guard<std::mutex> lock(mu_);
    placeholders_[placeholder.get()] = key;
  }
  if (placeholder->counters != nullptr) placeholder->counters->loaded = 0;
  Retire(st.latest_ready);
  st.latest_ready = std::move(parked);
  st.scaled_to_zero = true;
  PublishRoutes();
  RecordEvent(st, "Normal", "ScaledToZero",
              "revision " + st.latest_ready->name + " unloaded after " + Seconds(GraceFor(st)) +
                  " without requests (minReplicas: 0); the next request loads it again");
  Enqueue("isvc/" + key);  // status: Active=False
}

void Controller::Impl::Wake(const std::string& key) {
  std::optional<LoadResult> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = wake_results_.find(key);
    if (it != wake_results_.end()) {
      result = std::move(it->second);
      wake_results_.erase(it);
    }
  }
  auto it = isvcs_.find(key);
  if (it == isvcs_.end()) return;
  IsvcState& st = it->second;
  if (result) {
    st.waking = false;
    if (!st.scaled_to_zero || !st.latest_ready || st.latest_ready->name != result->revision) {
      return;  // a newer revision became ready meanwhile and took the waiters
    }
    if (!result->status.ok()) {
      RecordEvent(st, "Warning", "ActivationFailed",
                  "revision " + result->revision +
                      " could not be loaded again: " + result->status.message());
      FinishWake(st, nullptr,
                 "it was scaled to zero and loading it again failed: " + result->status.message());
      return;
    }
    Revision rev = MakeRevision(st, *result);
    Retire(st.latest_ready);
    st.latest_ready = std::move(rev);
    st.scaled_to_zero = false;
    st.last_active = std::chrono::steady_clock::now();
    st.last_requests = TotalRequests(st.latest_ready->entry->counters);
    PublishRoutes();
    FinishWake(st, st.latest_ready->catalog, "");
    RecordEvent(st, "Normal", "Activated",
                "revision " + st.latest_ready->name + " loaded again for waiting requests");
    Enqueue("isvc/" + key);
    ScheduleTick();
    return;
  }
  if (!st.scaled_to_zero) {
    // Woken by a request that raced the reload, or minReplicas changed.
    if (st.latest_ready) FinishWake(st, st.latest_ready->catalog, "");
    return;
  }
  if (st.waking) return;
  st.waking = true;
  Log(st,
      "activating revision " + st.latest_ready->name + ": a request arrived while scaled to zero");
  LoadResult job;
  job.attempt = "wake";
  job.revision = st.latest_ready->name;
  job.generation = st.latest_ready->generation;
  job.spec_hash = st.latest_ready->spec_hash;
  job.dir = st.latest_ready->dir;
  auto task = std::make_shared<LoadResult>(std::move(job));
  std::string name = st.name;
  bool queued = loaders_->Submit([this, task, key, name] {
    try {  // an exception fails this wake-up only (see StartLoad)
      auto loaded = runtime::LoadModelDir(*registry_, task->dir, name);
      if (loaded.ok()) {
        task->model = std::move(loaded).value();
      } else {
        task->status = loaded.status();
      }
    } catch (...) {
      task->model.reset();
      task->status = InternalError("loading " + task->dir + " failed unexpectedly (" +
                                   DescribeCurrentException() + "); report this as a Ferry bug");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake_results_[key] = std::move(*task);
    }
    Enqueue("wake/" + key);
  });
  if (!queued) {
    st.waking = false;
    FinishWake(st, nullptr, "the model loader queue is full; retry later");
  }
}

void Controller::Impl::FinishWake(IsvcState& st,
                                  std::shared_ptr<const server::ModelCatalog> catalog,
                                  const std::string& error) {
  std::string key = st.ns + "/" + st.name;
  std::vector<server::ModelRouter::Resume> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiters_.find(key);
    if (it != waiters_.end()) {
      waiting = std::move(it->second);
      waiters_.erase(it);
    }
    if (catalog != nullptr || error.find("deleted") != std::string::npos ||
        error.find("re-created") != std::string::npos) {
      std::erase_if(placeholders_, [&](const auto& p) { return p.second == key; });
    }
  }
  if (waiting.empty()) return;
  Log(st, std::to_string(waiting.size()) + " waiting request(s) " +
              (catalog ? "resumed" : "failed: " + error));
  for (auto& resume : waiting) {
    // Predicts run on the model's executor, not on the controller's thread.
    const server::ModelEntry* entry = catalog ? catalog->models.front().get() : nullptr;
    if (entry != nullptr && entry->executor &&
        entry->executor->Submit([resume, catalog] { resume(catalog, ""); })) {
      continue;
    }
    resume(catalog, error);
  }
}

}  // namespace ferry::controller
