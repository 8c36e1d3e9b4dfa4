#include "api/watch_hub.h"

#include <atomic>

#include "api/object_service.h"
#include "api/table.h"

namespace ferry::api {

using nlohmann::json;

struct WatchHub::Stream {
  explicit Stream(http::Responder r) : responder(std::move(r)) {}
  http::Responder responder;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<bool> gone{false};
  std::mutex mu;
  bool finished = false;
  std::shared_ptr<store::Subscription> sub;
};

WatchHub::WatchHub(store::ResourceStore* store) : store_(store) {
  reaper_ = std::thread([this] { Reap(); });
}

WatchHub::~WatchHub() {
  Shutdown();
  if (reaper_.joinable()) reaper_.join();
}

void WatchHub::Finish(const std::shared_ptr<Stream>& s) {
  std::shared_ptr<store::Subscription> sub;
  {
    std::lock_guard<std::mutex> l(s->mu);
    if (s->finished) return;
    s->finished = true;
    sub = s->sub;
  }
  if (sub) sub->Cancel();
  s->responder.EndStream();
}

namespace {

std::string EncodeEvent(const WatchRequest& req, const store::WatchEvent& e) {
  json obj = ObjectService::ForVersion(*req.kind, req.version, *e.object);
  if (req.table) {
    obj = BuildTable(*req.kind, {obj}, std::to_string(e.resource_version), "");
  }
  return json{{"type", store::EventTypeName(e.type)}, {"object", std::move(obj)}}.dump() + "\n";
}

}  // namespace

void WatchHub::Start(WatchRequest req, http::Responder responder) {
  auto s = std::make_shared<Stream>(std::move(responder));
  s->deadline = std::chrono::steady_clock::now() + req.timeout;
  http::HttpResponse head;
  head.status = 200;
  head.content_type =
      req.table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
  s->responder.StartStream(std::move(head));
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      Finish(s);
      return;
    }
    streams_.push_back(s);
  }
  std::weak_ptr<Stream> weak = s;
  auto sub = store_->Watch(req.kind->store_resource(), req.selector, req.from_rv,
                           [weak, req](const store::WatchEvent& e) {
                             auto st = weak.lock();
                             if (!st || st->gone) return;
                             if (!st->responder.WriteChunk(EncodeEvent(req, e))) st->gone = true;
                           });
  if (!sub.ok()) {
    json status = {{"kind", "Status"},
                   {"apiVersion", "v1"},
                   {"metadata", json::object()},
                   {"status", "Failure"},
                   {"message", sub.status().message()},
                   {"reason", "Expired"},
                   {"code", 410}};
    s->responder.WriteChunk(json{{"type", "ERROR"}, {"object", status}}.dump() + "\n");
    Finish(s);
    return;
  }
  std::lock_guard<std::mutex> l(s->mu);
  s->sub = *sub;
  if (s->finished) s->sub->Cancel();
}

void WatchHub::Reap() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    cv_.wait_for(l, std::chrono::milliseconds(200));
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Stream>> done;
    std::erase_if(streams_, [&](const std::shared_ptr<Stream>& s) {
      bool end = stopping_ || s->gone || now >= s->deadline;
      if (end) done.push_back(s);
      return end;
    });
    l.unlock();
    for (auto& s : done) Finish(s);
    l.lock();
  }
}

void WatchHub::Shutdown() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    all.swap(streams_);
  }
  cv_.notify_all();
  for (auto& s : all) Finish(s);
}

size_t WatchHub::open_streams() const {
  std::lock_guard<std::mutex> l(mu_);
  return streams_.size();
}

}  // namespace ferry::api
