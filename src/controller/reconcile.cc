// InferenceService reconcile: spec → runtime → credentials → download + load
// (on the loader pool) → route → status and events.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "controller/controller_impl.h"
#include "controller/credentials.h"
#include "controller/isvc_status.h"
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
    if (isvcs_.erase(key) > 0) {
      std::fprintf(stderr, "ferry: InferenceService %s deleted: routes removed, model unloaded\n",
                   key.c_str());
      PublishRoutes();
    }
    return;
  }
  const nlohmann::json& isvc = *obj;
  IsvcState& st = isvcs_[key];
  std::string uid = isvc["metadata"].value("uid", "");
  if (st.uid != uid) {  // new (or re-created) object
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
    st.canary_percent = spec->canary_traffic_percent;
    std::string runtime_name;
    Status rt = CheckRuntime(ns, *spec, &runtime_name);
    auto creds = ResolveCredentials(*client_, ns, *spec);
    std::string attempt = std::to_string(generation) + "|" +
                          (creds.ok() ? creds->fingerprint : creds.status().message());
    bool serving_this = st.latest_ready && st.latest_ready->generation == generation;
    if (!rt.ok()) {
      fail("runtime/" + attempt, rt.code() == StatusCode::kNotFound ? "RuntimeNotRecognized"
                                                                    : "NoSupportingRuntime",
           rt.message());
    } else if (!creds.ok()) {
      fail(attempt, "ModelLoadFailed", creds.status().message());
    } else if (!serving_this && !(st.loading && st.loading_attempt == attempt) &&
               st.failed_attempt != attempt) {
      st.runtime_name = runtime_name;
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
  if (!options_.pvc_root.empty()) fo.pvc_root = options_.pvc_root;
  auto progress = st.progress;
  fo.progress = [progress](const storage::Progress& p) {
    progress->bytes_done = p.bytes_done;
    progress->bytes_total = p.bytes_total;
  };
  LoadResult job;
  job.attempt = attempt;
  job.revision = st.loading_revision;
  job.generation = generation;
  auto task = std::make_shared<LoadResult>(std::move(job));
  std::string uri = spec.storage_uri, name = st.name;
  bool queued = loaders_->Submit([this, task, key, uri, dest, fo, progress, name, creds_note] {
    std::error_code ec;
    std::filesystem::create_directories(dest.parent_path(), ec);
    auto fetched = storage::Fetch(uri, dest.string(), fo);
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

void Controller::Impl::ApplyLoadResult(IsvcState& st, LoadResult r) {
  st.loading = false;
  st.progress.reset();
  if (!r.status.ok()) {
    st.failed_attempt = r.attempt;
    st.fail_reason = r.reason;
    st.fail_message = r.status.message();
    st.fail_time = NowRfc3339();
    st.fail_revision = r.revision;
    RecordEvent(st, "Warning", r.reason, "revision " + r.revision + ": " + r.status.message());
    std::fprintf(stderr, "ferry: %s/%s revision %s failed: %s\n", st.ns.c_str(), st.name.c_str(),
                 r.revision.c_str(), r.status.message().c_str());
    return;
  }
  auto entry = std::make_shared<server::ModelEntry>();
  entry->name = st.name;
  entry->state = server::ModelEntry::State::kReady;
  entry->counters = metrics_->Register(st.ns + "/" + st.name);
  entry->counters->load_seconds = r.model->load_seconds;
  entry->counters->loaded = 1;
  entry->executor = std::make_shared<server::Executor>(options_.predict_threads, 1024);
  entry->served = std::shared_ptr<const runtime::ServedModel>(std::move(r.model));
  auto catalog = std::make_shared<server::ModelCatalog>();
  catalog->models.push_back(entry);
  Revision rev{r.revision, r.generation, entry, catalog};
  if (st.latest_ready) st.previous = std::move(st.latest_ready);
  st.latest_ready = std::move(rev);
  st.failed_attempt.clear();
  RecordEvent(st, "Normal", "RevisionReady",
              "revision " + r.revision + " loaded (" + entry->served->source + ") and serving");
  std::fprintf(stderr, "ferry: %s/%s revision %s ready: %s\n", st.ns.c_str(), st.name.c_str(),
               r.revision.c_str(), entry->served->source.c_str());
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
  auto res = client_->Create(ev);
  if (!res.ok()) std::fprintf(stderr, "ferry: event not recorded: %s\n", res.status().message().c_str());
}

}  // namespace ferry::controller
