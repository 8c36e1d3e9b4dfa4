// InferenceService reconcile: spec → runtime → credentials → download + load
// (on the loader pool) → route → status and events.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "controller/controller_impl.h"
#include "controller/credentials.h"
#include "controller/isvc_status.h"
#include "runtime/batching_model.h"
#include "runtime/loader.h"
#include "storage/fetch.h"

namespace ferry::controller {
namespace {

// Formats Ferry runs natively; the MLflow loader picks the flavor.
bool FormatSupported(const runtime::RuntimeRegistry& registry, const std::string& format) {
  return format == "mlflow" || registry.FindByName(format) != nullptr;
}

std::string SupportedFormats(const runtime::RuntimeRegistry& registry) {
  std::string out = "mlflow";
  for (const auto& r : registry.runtimes()) out += ", " + std::string(r->name());
  return out;
}

}  // namespace

std::string DescribeCurrentException() {
  try {
    throw;
  } catch (const std::filesystem::filesystem_error& e) {
    return e.code().message();  // what() would name paths, maybe outside the allowed roots
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

namespace {

std::string SafePath(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

}  // namespace

Status Controller::Impl::CheckRuntime(const std::string& ns, const PredictorSpec& spec,
                                      std::string* runtime_name) {
  if (!FormatSupported(*registry_, spec.model_format)) {
    return FailedPreconditionError("no runtime supports model format `" + spec.model_format +
                                   "` (spec.predictor.model.modelFormat.name); Ferry serves: " +
                                   SupportedFormats(*registry_));
  }
  *runtime_name = "ferry";
  if (spec.runtime.empty() || spec.runtime == "ferry") return OkStatus();
  // An explicit runtime must exist; Ferry serves it natively (same contract).
  if (client_->Get("serving.kserve.io/v1alpha1", "ServingRuntime", ns, spec.runtime).ok() ||
      client_->Get("serving.kserve.io/v1alpha1", "ClusterServingRuntime", "", spec.runtime).ok()) {
    *runtime_name = spec.runtime;
    return OkStatus();
  }
  return NotFoundError("runtime `" + spec.runtime +
                       "` (spec.predictor.model.runtime) is neither a ServingRuntime in `" + ns +
                       "` nor a ClusterServingRuntime; remove the field to let Ferry pick one, or "
                       "use `ferry` (kubectl get clusterservingruntimes)");
}

void Controller::Impl::ReconcileIsvc(const std::string& ns, const std::string& name) {
  std::string key = ns + "/" + name;
  auto obj = client_->Get("serving.kserve.io/v1beta1", "InferenceService", ns, name);
  if (!obj.ok()) {
    auto it = isvcs_.find(key);
    if (it != isvcs_.end()) {
      std::fprintf(stderr, "ferry: InferenceService %s deleted: routes removed, model unloaded\n",
                   key.c_str());
      FinishWake(it->second, nullptr, "the InferenceService was deleted");
      Retire(it->second.latest_ready);
      Retire(it->second.previous);
      isvcs_.erase(it);
      if (options_.logs != nullptr) options_.logs->Forget(ns, name);
      PublishRoutes();
    }
    return;
  }
  const nlohmann::json& isvc = *obj;
  IsvcState& st = isvcs_[key];
  std::string uid = isvc["metadata"].value("uid", "");
  if (st.uid != uid) {  // new (or re-created) object
    if (!st.uid.empty()) {
      FinishWake(st, nullptr, "the InferenceService was re-created");
      Retire(st.latest_ready);
      Retire(st.previous);
    }
    st = IsvcState();
    st.ns = ns;
    st.name = name;
    st.uid = uid;
  }
  int64_t generation = isvc["metadata"].value("generation", 1);
  bool routes_changed = false;
  std::map<std::string, std::string> labels;
  if (isvc["metadata"].contains("labels") && isvc["metadata"]["labels"].is_object()) {
    for (auto& [k, v] : isvc["metadata"]["labels"].items()) {
      if (v.is_string()) labels[k] = v.get<std::string>();
    }
  }
  if (labels != st.labels) {
    st.labels = std::move(labels);
    routes_changed = true;  // a label may select another domain
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = results_.find(key);
    if (it != results_.end()) {
      LoadResult r = std::move(it->second);
      results_.erase(it);
      lock.unlock();
      if (st.loading && r.attempt == st.loading_attempt) {
        // --- dynamic batching (issue 9; runtime/batching_model.h): spec.predictor.batcher ---
        if (Status b = r.model ? runtime::EnableBatchingForInferenceService(isvc, r.model.get())
                               : OkStatus();
            !b.ok()) {
          std::fprintf(stderr, "ferry: %s: batching off: %s\n", key.c_str(), b.message().c_str());
        }
        // --- end dynamic batching ---
        ApplyLoadResult(st, std::move(r));
        routes_changed = true;
      }
    }
  }
  auto fail = [&](const std::string& attempt, const std::string& reason, const std::string& msg) {
    if (st.failed_attempt != attempt) {
      RecordEvent(st, "Warning", reason, msg);
    }
    st.failed_attempt = attempt;
    st.fail_reason = reason;
    st.fail_message = msg;
    st.fail_time = NowRfc3339();
    st.fail_revision = RevisionName(name, generation);
    st.latest_created_revision = st.fail_revision;
  };
  auto spec = ParsePredictorSpec(isvc);
  if (!spec.ok()) {
    fail("spec/" + std::to_string(generation), "InvalidPredictorSpec", spec.status().message());
  } else {
    if (st.canary_percent != spec->canary_traffic_percent) routes_changed = true;
    st.canary_percent = spec->canary_traffic_percent;
    bool canary = st.canary_percent >= 0 && st.canary_percent < 100;
    if (!canary && st.previous) {
      Log(st, "canary promoted: " + (st.latest_ready ? st.latest_ready->name : "") +
                  " takes 100% of the traffic; " + st.previous->name + " unloaded");
      Retire(st.previous);
      routes_changed = true;
    }
    st.min_replicas = spec->min_replicas;
    st.timeout_seconds = spec->timeout_seconds;
    st.scale_to_zero_ms = spec->scale_to_zero_ms;
    if (st.min_replicas == 0) ScheduleTick();
    if (st.min_replicas != 0 && st.scaled_to_zero) Enqueue("wake/" + key);
    std::string runtime_name;
    Status rt = CheckRuntime(ns, *spec, &runtime_name);
    auto creds = ResolveCredentials(*client_, ns, *spec);
    std::string attempt = spec->revision_hash + "|" +
                          (creds.ok() ? creds->fingerprint : creds.status().message());
    bool serving_this = st.latest_ready && st.latest_ready->spec_hash == spec->revision_hash;
    if (!rt.ok()) {
      fail("runtime/" + attempt, rt.code() == StatusCode::kNotFound ? "RuntimeNotRecognized"
                                                                    : "NoSupportingRuntime",
           rt.message());
    } else if (!creds.ok()) {
      fail(attempt, "ModelLoadFailed", creds.status().message());
    } else if (!serving_this && !(st.loading && st.loading_attempt == attempt) &&
               (st.failed_attempt != attempt || RetryDue(st, attempt))) {
      st.runtime_name = runtime_name;
      st.loading_hash = spec->revision_hash;
      StartLoad(st, *spec, attempt, generation, creds->s3, creds->note);
    }
    if (serving_this) {
      st.failed_attempt.clear();
    }
  }
  if (routes_changed) PublishRoutes();
  WriteStatus(st, isvc);
}

void Controller::Impl::StartLoad(IsvcState& st, const PredictorSpec& spec,
                                 const std::string& attempt, int64_t generation,
                                 storage::S3Config s3, std::string creds_note) {
  st.loading = true;
  st.loading_attempt = attempt;
  st.loading_generation = generation;
  st.loading_revision = RevisionName(st.name, generation);
  st.latest_created_revision = st.loading_revision;
  st.progress = std::make_shared<LoadProgress>();
  RecordEvent(st, "Normal", "DownloadStarted",
              "revision " + st.loading_revision + ": fetching " + spec.storage_uri);
  std::string key = st.ns + "/" + st.name;
  std::filesystem::path dest = std::filesystem::path(options_.data_dir) / "models" /
                               SafePath(st.ns) / SafePath(st.name) / st.loading_revision;
  storage::FetchOptions fo;
  fo.s3 = std::move(s3);
  fo.cache_dir = (std::filesystem::path(options_.data_dir) / "cache").string();
  fo.local = options_.local_access;
  auto progress = st.progress;
  api::IsvcLogs* logs = options_.logs;
  std::string log_ns = st.ns, log_name = st.name, log_rev = st.loading_revision;
  auto quarter = std::make_shared<std::atomic<int>>(0);
  fo.progress = [progress, logs, log_ns, log_name, log_rev, quarter](const storage::Progress& p) {
    progress->bytes_done = p.bytes_done;
    progress->bytes_total = p.bytes_total;
    if (logs == nullptr || p.bytes_total < (1u << 20)) return;
    int q = static_cast<int>(4 * p.bytes_done / p.bytes_total);
    int seen = quarter->load();
    if (q > seen && q < 4 && quarter->compare_exchange_strong(seen, q)) {
      char buf[96];
      std::snprintf(buf, sizeof(buf), ": downloaded %.1f of %.1f MB", p.bytes_done / 1e6,
                    p.bytes_total / 1e6);
      logs->Append(log_ns, log_name, "revision " + log_rev + buf);
    }
  };
  LoadResult job;
  job.attempt = attempt;
  job.revision = st.loading_revision;
  job.generation = generation;
  job.spec_hash = st.loading_hash;
  job.dir = dest.string();
  auto task = std::make_shared<LoadResult>(std::move(job));
  std::string uri = spec.storage_uri, name = st.name;
  bool queued = loaders_->Submit([this, task, key, uri, dest, fo, progress, name, creds_note,
                                  logs, log_ns, log_name, log_rev] {
    // An exception must fail this revision only: on a pool thread it would
    // end the process, and every other InferenceService with it.
    try {
      std::error_code ec;
      std::filesystem::create_directories(dest.parent_path(), ec);
      auto started = std::chrono::steady_clock::now();
      auto fetched = storage::Fetch(uri, dest.string(), fo);
      if (fetched.ok() && logs != nullptr) {
        char buf[128];
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              started).count();
        uint64_t bytes = progress->bytes_done.load();
        if (bytes > 0) {
          std::snprintf(buf, sizeof(buf), ": downloaded %.2f MB in %.0f ms; loading", bytes / 1e6,
                        ms);
        } else {  // local copies and cache hits report no byte progress
          std::snprintf(buf, sizeof(buf), ": fetched in %.0f ms; loading", ms);
        }
        logs->Append(log_ns, log_name, "revision " + log_rev + buf);
      }
      if (!fetched.ok()) {
        task->status = fetched.status();
        task->reason = "ModelLoadFailed";
        if (!creds_note.empty() && uri.rfind("s3://", 0) == 0 &&
            fetched.status().code() != StatusCode::kNotFound) {
          task->status = Status(fetched.status().code(),
                                fetched.status().message() + " (" + creds_note + ")");
        }
      } else {
        progress->phase = 1;
        auto loaded = runtime::LoadModelDir(*registry_, dest, name);
        if (!loaded.ok()) {
          task->status = loaded.status();
          task->reason = "ModelLoadFailed";
        } else {
          task->model = std::move(loaded).value();
        }
      }
    } catch (...) {
      task->model.reset();
      task->status = InternalError("fetching or loading " + uri + " failed unexpectedly (" +
                                   DescribeCurrentException() +
                                   "); the previous revision keeps serving. Check the model "
                                   "files, and report this as a Ferry bug");
      task->reason = "ModelLoadFailed";
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      results_[key] = std::move(*task);
    }
    Enqueue("isvc/" + key);
  });
  if (!queued) {
    st.loading = false;
    st.failed_attempt = attempt;
    st.fail_reason = "ModelLoadFailed";
    st.fail_message = "the model loader queue is full; retry later";
  }
  // Progress updates: poke the status while the download runs.
  PublishRoutes();
}

bool Controller::Impl::RetryDue(IsvcState& st, const std::string& attempt) {
  if (st.retry_attempt != attempt || st.retry_at == std::chrono::steady_clock::time_point{}) {
    return false;
  }
  if (std::chrono::steady_clock::now() < st.retry_at) return false;
  st.retry_at = {};
  return true;
}

void Controller::Impl::ScheduleRetry(IsvcState& st, const LoadResult& r) {
  StatusCode code = r.status.code();
  bool transient = code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
                   code == StatusCode::kResourceExhausted;
  if (!transient) return;
  if (st.retry_attempt != r.attempt) {
    st.retry_attempt = r.attempt;
    st.retries = 0;
  }
  // 1 s, 2 s, 4 s ... capped at 5 minutes (Kubernetes' CrashLoopBackOff cap).
  int64_t delay_ms = std::min<int64_t>(int64_t{1000} << std::min(st.retries, 9), 300000);
  ++st.retries;
  st.retry_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  st.fail_message += "; retrying automatically in " + std::to_string(delay_ms / 1000) +
                     " s (attempt " + std::to_string(st.retries + 1) + ")";
  EnqueueAfter("isvc/" + st.ns + "/" + st.name, std::chrono::milliseconds(delay_ms));
}

void Controller::Impl::ApplyLoadResult(IsvcState& st, LoadResult r) {
  st.loading = false;
  st.progress.reset();
  if (!r.status.ok()) {
    st.failed_attempt = r.attempt;
    st.fail_reason = r.reason;
    st.fail_message = r.status.message();
    st.fail_time = NowRfc3339();
    st.fail_revision = r.revision;
    ScheduleRetry(st, r);
    RecordEvent(st, "Warning", r.reason, "revision " + r.revision + ": " + st.fail_message);
    std::fprintf(stderr, "ferry: %s/%s revision %s failed: %s\n", st.ns.c_str(), st.name.c_str(),
                 r.revision.c_str(), r.status.message().c_str());
    return;
  }
  Revision rev = MakeRevision(st, r);
  bool canary = st.canary_percent >= 0 && st.canary_percent < 100;
  if (st.latest_ready) {
    // A canary splits between the rolled-out revision and the newest one; a
    // canary superseded by a newer canary is dropped.
    if (canary && !st.previous && !st.scaled_to_zero) {
      st.previous = std::move(st.latest_ready);
    }
    Retire(st.latest_ready);
  }
  if (!canary) Retire(st.previous);
  st.latest_ready = std::move(rev);
  st.failed_attempt.clear();
  st.retries = 0;
  st.retry_at = {};
  st.last_active = std::chrono::steady_clock::now();
  const server::ModelEntry* entry = st.latest_ready->entry.get();
  if (st.scaled_to_zero) {
    st.scaled_to_zero = false;
    FinishWake(st, st.latest_ready->catalog, "");
  }
  if (st.previous) {
    Log(st, "canary: " + std::to_string(st.canary_percent) + "% of the traffic to " +
                st.latest_ready->name + ", " + std::to_string(100 - st.canary_percent) + "% to " +
                st.previous->name);
  }
  RecordEvent(st, "Normal", "RevisionReady",
              "revision " + r.revision + " loaded (" + entry->served->source + ") and serving");
  std::fprintf(stderr, "ferry: %s/%s revision %s ready: %s\n", st.ns.c_str(), st.name.c_str(),
               r.revision.c_str(), entry->served->source.c_str());
}

Revision Controller::Impl::MakeRevision(IsvcState& st, LoadResult& r) {
  auto entry = std::make_shared<server::ModelEntry>();
  entry->name = st.name;
  entry->state = server::ModelEntry::State::kReady;
  entry->timeout = std::chrono::seconds(st.timeout_seconds);
  entry->counters = metrics_->Register(st.ns + "/" + st.name);
  entry->counters->load_seconds = r.model->load_seconds;
  entry->counters->loaded = 1;
  // Dynamic batching (issue 9): batching callers block, so the pool bounds the batch.
  entry->executor = std::make_shared<server::Executor>(
      std::max(options_.predict_threads, runtime::RecommendedCallerThreads(*r.model->model)), 1024);
  entry->served = std::shared_ptr<const runtime::ServedModel>(std::move(r.model));
  auto catalog = std::make_shared<server::ModelCatalog>();
  catalog->models.push_back(entry);
  return Revision{r.revision, r.generation, r.spec_hash, r.dir, entry, catalog};
}

void Controller::Impl::Retire(std::optional<Revision>& rev) {
  if (!rev) return;
  retired_.push_back(std::move(*rev));
  rev.reset();
  ScheduleTick();
}

void Controller::Impl::Log(const IsvcState& st, const std::string& line) {
  if (options_.logs != nullptr) options_.logs->Append(st.ns, st.name, line);
}

void Controller::Impl::WriteStatus(IsvcState& st, const nlohmann::json& isvc) {
  nlohmann::json old = isvc.contains("status") ? isvc["status"] : nlohmann::json::object();
  int64_t generation = isvc["metadata"].value("generation", 1);
  nlohmann::json status = BuildIsvcStatus(st, DomainFor(st), generation, old);
  if (status == old) return;
  nlohmann::json update = isvc;
  update["status"] = status;
  auto res = client_->UpdateStatus(update);
  if (!res.ok() && res.status().code() == StatusCode::kAborted) {
    Enqueue("isvc/" + st.ns + "/" + st.name);  // raced a spec write: reconcile again
  }
  if (st.loading) {
    // Refresh download progress in status while the load runs.
    EnqueueAfter("isvc/" + st.ns + "/" + st.name, std::chrono::milliseconds(500));
  }
}

void Controller::Impl::RecordEvent(const IsvcState& st, const std::string& type,
                                   const std::string& reason, const std::string& message) {
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx%04x",
                static_cast<unsigned long long>(std::time(nullptr)), ++event_seq_ & 0xffff);
  std::string now = NowRfc3339();
  nlohmann::json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", st.name + suffix}, {"namespace", st.ns}}},
      {"involvedObject",
       {{"apiVersion", "serving.kserve.io/v1beta1"},
        {"kind", "InferenceService"},
        {"name", st.name},
        {"namespace", st.ns},
        {"uid", st.uid}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"source", {{"component", "ferry-controller"}}},
  };
  Log(st, reason + ": " + message);
  auto res = client_->Create(ev);
  if (!res.ok()) std::fprintf(stderr, "ferry: event not recorded: %s\n", res.status().message().c_str());
}

}  // namespace ferry::controller
