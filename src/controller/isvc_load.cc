// IsvcReconciler, second half: starting a revision's load, applying its
// result (route it, or record the failure and its retry backoff).
#include <cstdio>
#include <filesystem>

#include "controller/isvc_reconciler.h"

namespace ferry::controller {
namespace {

// A namespace or name as one path segment of DATA/models.
std::string SafePath(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  return out;
}

bool Transient(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
         code == StatusCode::kResourceExhausted;
}

}  // namespace

void IsvcReconciler::StartLoad(IsvcState& st, const PredictorSpec& spec, const std::string& attempt,
                               int64_t generation, storage::S3Config s3, std::string creds_note) {
  PendingLoad pending{attempt, RevisionName(st.name, generation), spec.revision_hash, generation,
                      std::make_shared<LoadProgress>()};
  std::filesystem::path data(ctx_.options->data_dir);
  LoadRequest req;
  req.ns = st.ns;
  req.name = st.name;
  req.result.attempt = attempt;
  req.result.revision = pending.revision;
  req.result.generation = generation;
  req.result.spec_hash = spec.revision_hash;
  req.result.dir =
      (data / "models" / SafePath(st.ns) / SafePath(st.name) / pending.revision).string();
  req.result.batcher = spec.batcher;
  req.storage_uri = spec.storage_uri;
  req.fetch.s3 = std::move(s3);
  req.fetch.cache_dir = (data / "cache").string();
  req.fetch.local = ctx_.options->local_access;
  req.creds_note = std::move(creds_note);
  req.progress = pending.progress;
  st.latest_created_revision = pending.revision;
  const PodRecord& pod = p_.pods->BeginAttempt(st, pending.revision, generation, spec.storage_uri);
  req.init_log = PodView::InitLog(pod);
  req.main_log = PodView::MainLog(pod);
  p_.events->Record(st, "Normal", "DownloadStarted",
                    "revision " + pending.revision + ": fetching " + spec.storage_uri,
                    req.init_log);
  st.loading = std::move(pending);
  if (!p_.loader->Fetch(std::move(req))) {
    st.loading.reset();
    Fail(st, attempt, "ModelLoadFailed",
         ResourceExhaustedError("the model loader queue is full; retry later"),
         RevisionName(st.name, generation), /*from_load=*/true);
  }
  p_.serving->PublishRoutes(st);  // not-ready reason: "still loading"
}

// Applies the finished load of the pending attempt, if any. True when routes changed.
bool IsvcReconciler::TakeLoadResult(IsvcState& st) {
  std::optional<LoadResult> r = p_.loader->TakeFetched(st.key());
  if (!r || !st.loading || r->attempt != st.loading->attempt) return false;
  ApplyLoaded(st, std::move(*r));
  return true;
}

void IsvcReconciler::ApplyLoaded(IsvcState& st, LoadResult r) {
  st.loading.reset();
  if (!r.status.ok()) {
    std::fprintf(stderr, "ferry: %s revision %s failed: %s\n", st.key().c_str(), r.revision.c_str(),
                 r.status.message().c_str());
    Fail(st, r.attempt, r.reason, r.status, r.revision, /*from_load=*/true, r.stage);
    return;
  }
  Revision rev = p_.serving->MakeRevision(st, r);
  if (st.latest_ready) {
    // A canary splits between the rolled-out revision and the newest one; a
    // canary superseded by a newer canary is dropped; a reloaded revision
    // (its pod was deleted) replaces itself.
    bool reloaded = st.latest_ready->name == r.revision;
    if (!reloaded && st.canary() && !st.previous && !st.scale.scaled_to_zero) {
      st.previous = std::move(st.latest_ready);
    }
    p_.serving->Retire(st.latest_ready);
  }
  if (!st.canary()) p_.serving->Retire(st.previous);
  st.latest_ready = std::move(rev);
  st.failure.reset();
  st.retry = RetryBackoff();
  st.scale.last_active = std::chrono::steady_clock::now();
  if (st.scale.scaled_to_zero) {
    st.scale.scaled_to_zero = false;
    st.scale.unloaded = false;  // a new revision serves: a repository unload ends with it
    p_.scaler->FinishWake(st, st.latest_ready->catalog, "");
  }
  if (st.previous) {
    p_.events->Log(st, "canary: " + std::to_string(st.canary_percent) + "% of the traffic to " +
                           st.latest_ready->name + ", " + std::to_string(100 - st.canary_percent) +
                           "% to " + st.previous->name);
  }
  const std::string& source = st.latest_ready->entry->served->source;
  auto pod = st.pods.find(r.revision);
  p_.events->Record(st, "Normal", "RevisionReady",
                    "revision " + r.revision + " loaded (" + source + ") and serving",
                    pod == st.pods.end() ? api::LogSource{} : PodView::MainLog(pod->second));
  std::fprintf(stderr, "ferry: %s revision %s ready: %s\n", st.key().c_str(), r.revision.c_str(),
               source.c_str());
}

void IsvcReconciler::StartPreviousRestart(IsvcState& st) {
  if (!st.restart_previous) return;
  st.restart_previous = false;
  if (!st.previous || !st.canary() || st.previous_restarting) return;
  LoadResult base;
  base.attempt = "restart/" + st.previous->name;
  base.revision = st.previous->name;
  base.generation = st.previous->generation;
  base.spec_hash = st.previous->spec_hash;
  base.dir = st.previous->dir;
  base.batcher = st.previous->batcher;
  if (!p_.loader->Restart(st.ns, st.name, std::move(base))) {
    p_.events->Log(st, "revision " + st.previous->name +
                           " not reloaded: the model loader queue is full; delete its pod again");
    return;
  }
  st.previous_restarting = true;
  p_.events->Log(st, "revision " + st.previous->name +
                         ": its pod was deleted; loading it again (it serves until then)");
}

bool IsvcReconciler::TakePreviousRestart(IsvcState& st) {
  std::optional<LoadResult> r = p_.loader->TakeRestarted(st.key());
  if (!r) return false;
  st.previous_restarting = false;
  // Promoted or superseded meanwhile: the reloaded model is not needed.
  if (!st.previous || !st.canary() || st.previous->name != r->revision) return false;
  auto pod = st.pods.find(r->revision);
  api::LogSource source = pod == st.pods.end() ? api::LogSource{} : PodView::MainLog(pod->second);
  if (!r->status.ok()) {
    p_.events->Record(st, "Warning", "RestartFailed",
                      "revision " + r->revision + " could not be loaded again (" +
                          r->status.message() + "); the running model keeps serving",
                      source);
    return false;
  }
  Revision rev = p_.serving->MakeRevision(st, *r);
  p_.serving->Retire(st.previous);
  st.previous = std::move(rev);
  p_.events->Record(st, "Normal", "RevisionReady",
                    "revision " + r->revision + " loaded again (its pod was deleted) and serving " +
                        std::to_string(100 - st.canary_percent) + "% of the traffic",
                    source);
  return true;
}

void IsvcReconciler::Fail(IsvcState& st, const std::string& attempt, const std::string& reason,
                          const Status& cause, const std::string& revision, bool from_load,
                          const std::string& stage) {
  Failure f{attempt, reason, cause.message(), NowRfc3339(), revision, stage};
  if (from_load) f.message += ScheduleRetry(st, attempt, cause.code());
  bool news = !st.failure || st.failure->attempt != f.attempt || st.failure->message != f.message;
  st.latest_created_revision = revision;
  st.failure = std::move(f);
  if (!news) return;
  const std::string& message = st.failure->message;
  api::LogSource source;
  auto pod = st.pods.find(revision);
  if (!stage.empty() && pod != st.pods.end()) {
    source = stage == "download" ? PodView::InitLog(pod->second) : PodView::MainLog(pod->second);
  }
  p_.events->Record(st, "Warning", reason,
                    from_load ? "revision " + revision + ": " + message : message, source);
}

// Backoff for a transient failure of `attempt`: 1 s, 2 s, 4 s ... capped at 5
// minutes (Kubernetes' CrashLoopBackOff cap). Returns the note for the status.
std::string IsvcReconciler::ScheduleRetry(IsvcState& st, const std::string& attempt,
                                          StatusCode code) {
  if (!Transient(code)) return "";
  if (st.retry.attempt != attempt) st.retry = RetryBackoff{attempt, 0, {}};
  int64_t delay_ms = std::min<int64_t>(int64_t{1000} << std::min(st.retry.retries, 9), 300000);
  ++st.retry.retries;
  st.retry.at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  return "; retrying automatically in " + std::to_string(delay_ms / 1000) + " s (attempt " +
         std::to_string(st.retry.retries + 1) + ")";
}

bool IsvcReconciler::RetryDue(IsvcState& st, const std::string& attempt) {
  if (st.retry.attempt != attempt || st.retry.at == std::chrono::steady_clock::time_point{}) {
    return false;
  }
  if (std::chrono::steady_clock::now() < st.retry.at) return false;
  st.retry.at = {};
  return true;
}

}  // namespace ferry::controller
