#include "serving/directory_repository.h"

#include <system_error>

namespace ferry::serving {
namespace fs = std::filesystem;

namespace {

const char* StateName(ModelEntry::State s) {
  switch (s) {
    case ModelEntry::State::kReady:
      return "READY";
    case ModelEntry::State::kLoading:
      return "LOADING";
    case ModelEntry::State::kFailed:
    case ModelEntry::State::kUnloaded:
      return "UNAVAILABLE";
  }
  return "UNAVAILABLE";
}

std::string Version(const ModelEntry& e) {
  if (e.served == nullptr || e.served->metadata.versions.empty()) return "";
  return e.served->metadata.versions.front();
}

}  // namespace

DirectoryRepository::DirectoryRepository(Options options, LoadFn load, Publish publish,
                                         Metrics* metrics)
    : options_(std::move(options)),
      load_(std::move(load)),
      publish_(std::move(publish)),
      metrics_(metrics) {}

DirectoryRepository::~DirectoryRepository() = default;

std::map<std::string, fs::path> DirectoryRepository::Candidates() const {
  std::map<std::string, fs::path> out;
  if (!options_.single_name.empty()) {
    out.emplace(options_.single_name, options_.root);
    return out;
  }
  std::error_code ec;
  fs::directory_iterator it(options_.root, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {  // never throws
    std::string name = it->path().filename().string();
    std::error_code dec;
    if (name.empty() || name[0] == '.' || !it->is_directory(dec)) continue;
    out.emplace(std::move(name), it->path());
  }
  return out;
}

std::shared_ptr<ModelEntry> DirectoryRepository::Placeholder(const std::string& name,
                                                             ModelEntry::State state,
                                                             std::string why) {
  auto e = std::make_shared<ModelEntry>();
  e->name = name;
  e->state = state;
  e->failure = std::move(why);
  e->counters = metrics_->Register(name);
  e->counters->loaded = 0;
  return e;
}

void DirectoryRepository::Replace(const std::string& name,
                                  std::shared_ptr<const ModelEntry> entry) {
  auto& slot = entries_[name];
  if (slot != nullptr) retired_.push_back(std::move(slot));
  slot = std::move(entry);
  PublishCatalog();
}

void DirectoryRepository::PublishCatalog() {
  auto catalog = std::make_shared<ModelCatalog>();
  for (const auto& [n, e] : entries_) catalog->models.push_back(e);
  publish_(std::move(catalog));
  // Free what no catalog holds any more (this thread is the worker, or start-up).
  std::erase_if(retired_, [](const auto& e) { return e.use_count() == 1; });
}

int DirectoryRepository::LoadAll() {
  auto candidates = Candidates();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, dir] : candidates) {
      Replace(name, Placeholder(name, ModelEntry::State::kLoading, ""));
    }
  }
  int ready = 0;
  for (const auto& [name, dir] : candidates) ready += LoadNow(name).ok() ? 1 : 0;
  return ready;
}

void DirectoryRepository::Adopt(std::shared_ptr<const ModelEntry> entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[entry->name] = std::move(entry);
}

std::vector<RepositoryIndexEntry> DirectoryRepository::Index(bool ready_only) const {
  auto candidates = Candidates();
  std::vector<RepositoryIndexEntry> out;
  std::lock_guard<std::mutex> lock(mu_);
  // Known models, and directories that appeared since start-up (not loaded yet).
  std::map<std::string, RepositoryIndexEntry> all;
  for (const auto& [name, dir] : candidates) {
    all[name] = {name, "", "UNAVAILABLE", "not loaded: POST /v2/repository/models/" + name +
                                              "/load loads it"};
  }
  for (const auto& [name, e] : entries_) {
    std::string reason;
    if (e->state == ModelEntry::State::kFailed) reason = "failed to load: " + e->failure;
    if (e->state == ModelEntry::State::kUnloaded) reason = e->failure;
    all[name] = {name, Version(*e), StateName(e->state), reason};
  }
  for (auto& [name, entry] : all) {
    if (ready_only && entry.state != "READY") continue;
    out.push_back(std::move(entry));
  }
  return out;
}

void DirectoryRepository::Load(const std::string& name, Done done) {
  auto task = [this, name, done] { done(LoadNow(name)); };
  if (!worker_.Submit(task)) {
    done(UnavailableError("the model repository is busy (64 loads and unloads queued); retry "
                          "loading " + name + " later"));
  }
}

void DirectoryRepository::Unload(const std::string& name, Done done) {
  auto task = [this, name, done] { done(UnloadNow(name)); };
  if (!worker_.Submit(task)) {
    done(UnavailableError("the model repository is busy (64 loads and unloads queued); retry "
                          "unloading " + name + " later"));
  }
}

Status DirectoryRepository::LoadNow(const std::string& name) {
  // Only a name the repository holds is loaded: the name is compared with the directory's
  // entries, never joined onto a path.
  auto candidates = Candidates();
  auto it = candidates.find(name);
  if (it == candidates.end()) return NotFoundError(ModelDoesNotExist(name));
  Metrics::ModelCounters* counters = metrics_->Register(name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto cur = entries_.find(name);
    // A ready model keeps answering while it reloads.
    if (cur == entries_.end() || cur->second->state != ModelEntry::State::kReady) {
      Replace(name, Placeholder(name, ModelEntry::State::kLoading, ""));
    }
  }
  auto loaded = load_(name, it->second, counters);
  std::lock_guard<std::mutex> lock(mu_);
  if (loaded.ok()) {
    Replace(name, std::move(loaded).value());
    return Status();
  }
  const std::string& why = loaded.status().message();
  auto cur = entries_.find(name);
  if (cur != entries_.end() && cur->second->state == ModelEntry::State::kReady) {
    return UnavailableError("Model with name " + name + " was not reloaded: " + why +
                            ". The model loaded before keeps serving; fix " +
                            it->second.string() + " and load it again");
  }
  Replace(name, Placeholder(name, ModelEntry::State::kFailed, why));
  return UnavailableError("Model with name " + name + " is not ready: it failed to load: " + why);
}

Status DirectoryRepository::UnloadNow(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto cur = entries_.find(name);
  if (cur == entries_.end()) {
    // A directory never loaded is unloaded already; anything else is unknown.
    if (Candidates().count(name) != 0) return Status();
    return NotFoundError(ModelDoesNotExist(name));
  }
  if (Candidates().count(name) == 0) {
    // Its directory is gone: unloaded, it leaves the repository.
    retired_.push_back(std::move(cur->second));
    entries_.erase(cur);
    PublishCatalog();
    return Status();
  }
  if (cur->second->state == ModelEntry::State::kUnloaded) return Status();
  Replace(name, Placeholder(name, ModelEntry::State::kUnloaded,
                            "unloaded through the model repository API; POST "
                            "/v2/repository/models/" + name + "/load loads it again"));
  return Status();
}

}  // namespace ferry::serving
