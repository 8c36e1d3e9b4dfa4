#include "store/write_behind.h"

#include <cstdio>

namespace ferry::store {

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
