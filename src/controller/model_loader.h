// ModelLoader: the slow half of deploying a revision — storage::Fetch into
// the data directory, runtime::LoadModelDir, then KServe's batcher — on a
// small pool, so one big model never holds up another's reconcile. A
// finished load waits here and queues its key; the reconciler takes the
// result on the worker thread and routes it (or records the failure).
//
// Fetch serves new revisions (key: the InferenceService), Reload the
// scale-to-zero wake-up from a revision's directory (key: its Wake).
// Threads: Fetch/Reload/Take* are thread-safe. An exception on the pool
// fails that load only. Shutdown (or the destructor) finishes queued loads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/isvc_logs.h"
#include "controller/serving_state.h"
#include "controller/work_queue.h"
#include "runtime/registry.h"
#include "serving/executor.h"
#include "storage/fetch.h"

namespace ferry::controller {

struct LoadRequest {
  std::string ns, name;  // the InferenceService
  // attempt, revision, generation, spec_hash, dir (the destination), batcher.
  LoadResult result;
  std::string storage_uri;
  storage::FetchOptions fetch;  // credentials, cache, local roots; progress is set here
  std::string creds_note;       // why S3 credentials may be missing (added to S3 failures)
  api::LogSource init_log;      // the pod's storage-initializer (download lines)
  api::LogSource main_log;      // its kserve-container (load lines)
  std::shared_ptr<LoadProgress> progress;
};

class ModelLoader {
 public:
  ModelLoader(const runtime::RuntimeRegistry* registry, WorkQueue* queue, api::IsvcLogs* logs,
              int threads);
  ~ModelLoader() { Shutdown(); }

  // False when the pool's queue is full (nothing was started).
  bool Fetch(LoadRequest request);
  bool Reload(const std::string& ns, const std::string& name, LoadResult base);

  std::optional<LoadResult> TakeFetched(const std::string& key);
  std::optional<LoadResult> TakeReloaded(const std::string& key);

  void Shutdown();

 private:
  void RunFetch(LoadRequest& request);
  void LoadInto(LoadResult& result, const std::string& model_name) const;

  const runtime::RuntimeRegistry* registry_;
  WorkQueue* queue_;
  api::IsvcLogs* logs_;
  std::unique_ptr<serving::Executor> pool_;
  std::mutex mu_;
  std::map<std::string, LoadResult> fetched_;   // by "ns/name"; guarded by mu_
  std::map<std::string, LoadResult> reloaded_;  // by "ns/name"; guarded by mu_
};

}  // namespace ferry::controller
