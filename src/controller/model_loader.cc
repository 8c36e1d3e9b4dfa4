#include "controller/model_loader.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "runtime/loader.h"

namespace ferry::controller {
namespace {

// The exception being handled, in words (call only inside a catch block);
// a filesystem_error gives its cause without the paths it names.
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

// Keeps LoadProgress current (the status shows it) and writes a log line at
// each quarter of a download of 1 MB or more.
std::function<void(const storage::Progress&)> ProgressReporter(const LoadRequest& req,
                                                               api::IsvcLogs* logs) {
  auto quarter = std::make_shared<std::atomic<int>>(0);
  return [progress = req.progress, logs, ns = req.ns, name = req.name, rev = req.result.revision,
          source = req.init_log, quarter](const storage::Progress& p) {
    progress->bytes_done = p.bytes_done;
    progress->bytes_total = p.bytes_total;
    if (logs == nullptr || p.bytes_total < (1u << 20)) return;
    int q = static_cast<int>(4 * p.bytes_done / p.bytes_total);
    int seen = quarter->load();
    if (q > seen && q < 4 && quarter->compare_exchange_strong(seen, q)) {
      char buf[96];
      std::snprintf(buf, sizeof(buf), ": downloaded %.1f of %.1f MB", p.bytes_done / 1e6,
                    p.bytes_total / 1e6);
      logs->Append(ns, name, source, "revision " + rev + buf);
    }
  };
}

void LogFetched(const LoadRequest& req, api::IsvcLogs* logs,
                std::chrono::steady_clock::time_point started) {
  if (logs == nullptr) return;
  char buf[128];
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  uint64_t bytes = req.progress->bytes_done.load();
  if (bytes > 0) {
    std::snprintf(buf, sizeof(buf), ": downloaded %.2f MB in %.0f ms", bytes / 1e6, ms);
  } else {  // local copies and cache hits report no byte progress
    std::snprintf(buf, sizeof(buf), ": fetched in %.0f ms", ms);
  }
  logs->Append(req.ns, req.name, req.init_log, "revision " + req.result.revision + buf);
  logs->Append(req.ns, req.name, req.main_log,
               "revision " + req.result.revision + ": loading the model from /mnt/models");
}

// An S3 failure other than "not found" may come from missing credentials:
// say what the credential lookup noticed.
Status WithCredentialsNote(const Status& failure, const LoadRequest& req) {
  if (req.creds_note.empty() || req.storage_uri.rfind("s3://", 0) != 0 ||
      failure.code() == StatusCode::kNotFound) {
    return failure;
  }
  return Status(failure.code(), failure.message() + " (" + req.creds_note + ")");
}

}  // namespace

ModelLoader::ModelLoader(const runtime::RuntimeRegistry* registry, WorkQueue* queue,
                         api::IsvcLogs* logs, int threads)
    : registry_(registry),
      queue_(queue),
      logs_(logs),
      pool_(std::make_unique<serving::Executor>(threads, 4096)) {}

void ModelLoader::Shutdown() { pool_.reset(); }

bool ModelLoader::Fetch(LoadRequest request) {
  if (!pool_) return false;
  auto task = std::make_shared<LoadRequest>(std::move(request));
  return pool_->Submit([this, task] {
    RunFetch(*task);
    {
      std::lock_guard<std::mutex> lock(mu_);
      fetched_[task->ns + "/" + task->name] = std::move(task->result);
    }
    queue_->Add(WorkKey::Isvc(task->ns, task->name));
  });
}

void ModelLoader::RunFetch(LoadRequest& req) {
  LoadResult& r = req.result;
  // An exception must fail this revision only: on a pool thread it would
  // end the process, and every other InferenceService with it.
  try {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(r.dir).parent_path(), ec);
    auto started = std::chrono::steady_clock::now();
    req.fetch.progress = ProgressReporter(req, logs_);
    auto fetched = storage::Fetch(req.storage_uri, r.dir, req.fetch);
    if (!fetched.ok()) {
      r.status = WithCredentialsNote(fetched.status(), req);
      r.reason = "ModelLoadFailed";
      r.stage = "download";
      return;
    }
    LogFetched(req, logs_, started);
    req.progress->phase = 1;
    LoadInto(r, req.name);
  } catch (...) {
    r.model.reset();
    r.status = InternalError("fetching or loading " + req.storage_uri + " failed unexpectedly (" +
                             DescribeCurrentException() +
                             "); the previous revision keeps serving. Check the model files, "
                             "and report this as a Ferry bug");
    r.reason = "ModelLoadFailed";
    r.stage = req.progress->phase.load() == 1 ? "load" : "download";
  }
}

void ModelLoader::LoadInto(LoadResult& r, const std::string& model_name) const {
  auto loaded = runtime::LoadModelDir(*registry_, r.dir, model_name);
  if (!loaded.ok()) {
    r.status = loaded.status();
    r.reason = "ModelLoadFailed";
    r.stage = "load";
    return;
  }
  r.model = std::move(loaded).value();
  if (r.batcher) runtime::EnableBatching(r.model.get(), *r.batcher);
}

bool ModelLoader::Reload(const std::string& ns, const std::string& name, LoadResult base) {
  if (!pool_) return false;
  auto task = std::make_shared<LoadResult>(std::move(base));
  return pool_->Submit([this, task, ns, name] {
    try {  // an exception fails this wake-up only (see RunFetch)
      LoadInto(*task, name);
    } catch (...) {
      task->model.reset();
      task->status = InternalError("loading " + task->dir + " failed unexpectedly (" +
                                   DescribeCurrentException() + "); report this as a Ferry bug");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      reloaded_[ns + "/" + name] = std::move(*task);
    }
    queue_->Add(WorkKey::Wake(ns, name));
  });
}

namespace {

std::optional<LoadResult> Take(std::map<std::string, LoadResult>& results, const std::string& key) {
  auto it = results.find(key);
  if (it == results.end()) return std::nullopt;
  std::optional<LoadResult> out(std::move(it->second));
  results.erase(it);
  return out;
}

}  // namespace

std::optional<LoadResult> ModelLoader::TakeFetched(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return Take(fetched_, key);
}

std::optional<LoadResult> ModelLoader::TakeReloaded(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return Take(reloaded_, key);
}

}  // namespace ferry::controller
