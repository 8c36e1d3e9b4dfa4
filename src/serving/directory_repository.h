// DirectoryRepository: the model repository of `ferry serve` — a directory holding one
// directory per model (KServe's multi-model layout: every model served under its directory's
// name), or the one model of a single-model `ferry serve` (named by --model_name).
//
// Created by src/main/serve_command.cc, which supplies how a model directory becomes a ready
// ModelEntry (LoadFn: runtime loader, batcher, executor) and where a new catalog goes (Publish:
// the model router, which the gRPC service reads too). Every catalog it publishes holds every
// model it knows, in name order, each READY, LOADING, FAILED or UNLOADED.
//
// Threads: Index is called on any thread (a directory listing, then the entries under mu_).
// Load and Unload run in order on the repository's one worker thread, so a load and an unload
// of one model never interleave; their `done` runs there. LoadAll runs on the caller's thread
// (start-up, before any request can reach Load). A replaced entry is kept until no catalog
// holds it and freed on the worker thread, never on the thread of a request that held it last
// (an entry owns its executor, which must not be joined from one of its own threads).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "serving/executor.h"
#include "serving/metrics.h"
#include "serving/model_catalog.h"
#include "serving/model_repository.h"

namespace ferry::serving {

class DirectoryRepository final : public ModelRepository {
 public:
  // Loads the model directory `dir` as `name`, counted under `counters`: a kReady entry.
  using LoadFn = std::function<StatusOr<std::shared_ptr<ModelEntry>>(
      const std::string& name, const std::filesystem::path& dir, Metrics::ModelCounters*)>;
  using Publish = std::function<void(std::shared_ptr<const ModelCatalog>)>;

  struct Options {
    std::filesystem::path root;
    // Set: the repository holds this one model, read from `root` (single-model serve).
    // Empty: every non-hidden subdirectory of `root` is a model of that name.
    std::string single_name;
  };

  DirectoryRepository(Options options, LoadFn load, Publish publish, Metrics* metrics);
  ~DirectoryRepository() override;

  // Start-up of a multi-model repository: publishes every model LOADING, then loads each in
  // turn (publishing after each). Returns how many are READY.
  int LoadAll();
  // Start-up of a single model loaded by the caller: records it as the repository's.
  void Adopt(std::shared_ptr<const ModelEntry> entry);

  // The repository's models, whatever the scope.
  std::vector<RepositoryIndexEntry> Index(bool ready_only) const;
  void Load(const std::string& name, Done done);
  void Unload(const std::string& name, Done done);
  std::vector<RepositoryIndexEntry> Index(const ModelCatalog&, bool ready_only) const override {
    return Index(ready_only);
  }
  void Load(const ModelCatalog&, const std::string& name, Done done) override {
    Load(name, std::move(done));
  }
  void Unload(const ModelCatalog&, const std::string& name, Done done) override {
    Unload(name, std::move(done));
  }

 private:
  // The models the repository holds now: name → directory.
  std::map<std::string, std::filesystem::path> Candidates() const;
  Status LoadNow(const std::string& name);
  Status UnloadNow(const std::string& name);
  // Replaces `name`'s entry and publishes; `mu_` held.
  void Replace(const std::string& name, std::shared_ptr<const ModelEntry> entry);
  // Publishes a catalog of entries_ and frees unused retired entries; `mu_` held.
  void PublishCatalog();
  std::shared_ptr<ModelEntry> Placeholder(const std::string& name, ModelEntry::State state,
                                          std::string why);

  const Options options_;
  const LoadFn load_;
  const Publish publish_;
  Metrics* const metrics_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const ModelEntry>> entries_;  // guarded by mu_
  std::vector<std::shared_ptr<const ModelEntry>> retired_;            // guarded by mu_
  // Last: destroyed first, so queued loads finish while the rest still exists.
  Executor worker_{1, 64};
};

}  // namespace ferry::serving
