#include "store/write_behind.h"

#include <cstdio>
#include <string>
#include <unordered_set>

namespace ferry::store {

namespace {

// Only an object's last state in a batch needs writing: the batch commits
// atomically, so the states before it are never visible on disk anyway. (A
// controller rewrites an InferenceService's status and its pods several
// times a second while models load.) Keeps revision order, and the last
// change, whose revision the batch records.
void KeepLastPerObject(std::vector<Change>& batch) {
  if (batch.size() < 2) return;
  std::unordered_set<std::string> seen;
  std::vector<bool> keep(batch.size(), false);
  for (size_t i = batch.size(); i-- > 0;) {
    const Change& c = batch[i];
    std::string key = c.resource + '\0' + c.ns + '\0' + c.name;
    keep[i] = seen.insert(std::move(key)).second;
  }
  size_t out = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (keep[i]) {
      if (out != i) batch[out] = std::move(batch[i]);
      ++out;
    }
  }
  batch.resize(out);
}

}  // namespace

WriteBehind::WriteBehind(std::unique_ptr<Persister> persister)
    : persister_(std::move(persister)), thread_([this] { Run(); }) {}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WriteBehind::Queue(Change change) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queued_ = change.revision;
    pending_.push_back(std::move(change));
  }
  wake_.notify_one();
}

Status WriteBehind::Sync() {
  std::unique_lock<std::mutex> l(mu_);
  int64_t target = queued_;
  committed_.wait(l, [&] { return durable_ >= target; });
  return error_;
}

int64_t WriteBehind::commits() const {
  std::lock_guard<std::mutex> l(mu_);
  return commits_;
}

void WriteBehind::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    wake_.wait(l, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left to write
    std::vector<Change> batch;
    batch.swap(pending_);
    l.unlock();
    KeepLastPerObject(batch);
    Status st = persister_->Apply(batch);
    int64_t revision = batch.back().revision;
    batch.clear();  // drop the objects outside the lock
    l.lock();
    ++commits_;
    if (!st.ok() && error_.ok()) {
      error_ = InternalError(st.message() +
                             "; the changes since are applied in memory only: fix the cause and "
                             "restart ferry");
      std::fprintf(stderr, "ferry: %s\n", error_.message().c_str());
    }
    durable_ = revision;
    committed_.notify_all();
  }
}

}  // namespace ferry::store
