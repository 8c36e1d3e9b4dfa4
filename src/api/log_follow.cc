#include "api/log_follow.h"

#include <atomic>
#include <nlohmann/json.hpp>

namespace ferry::api {

using nlohmann::json;

std::string FormatLogLine(const LogEntry& e, bool timestamps) {
  return LogTimestamp(e.time, timestamps) + " " + e.text + "\n";
}

struct LogFollowers::Stream {
  Stream(LogTarget t, http::Responder r) : target(std::move(t)), responder(std::move(r)) {}
  LogTarget target;
  http::Responder responder;
  std::atomic<bool> gone{false};
  std::mutex mu;
  bool started = false;  // the backlog is out; until then lines wait in `early`
  bool finished = false;
  std::vector<LogEntry> early;
};

LogFollowers::LogFollowers(store::ResourceStore* store, IsvcLogs* logs) : store_(store) {
  logs->SetListener([this](const std::string& ns, const std::string& isvc, const LogEntry& e) {
    OnLine(ns, isvc, e);
  });
  reaper_ = std::thread([this] { Reap(); });
}

LogFollowers::~LogFollowers() {
  Shutdown();
  if (reaper_.joinable()) reaper_.join();
}

void LogFollowers::OnLine(const std::string& ns, const std::string& isvc, const LogEntry& e) {
  std::vector<std::shared_ptr<Stream>> match;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& s : streams_) {
      const LogTarget& t = s->target;
      if (t.ns == ns && t.isvc == isvc && t.pod == e.source.pod &&
          t.container == e.source.container && t.restart == e.source.restart) {
        match.push_back(s);
      }
    }
  }
  for (const auto& s : match) {
    std::lock_guard<std::mutex> l(s->mu);
    if (s->finished || s->gone) continue;
    if (!s->started) {
      s->early.push_back(e);
    } else if (!s->responder.WriteChunk(FormatLogLine(e, s->target.timestamps))) {
      s->gone = true;
    }
  }
}

void LogFollowers::Start(LogTarget target, std::vector<LogEntry> backlog,
                         http::Responder responder) {
  auto s = std::make_shared<Stream>(std::move(target), std::move(responder));
  http::HttpResponse head;
  head.status = 200;
  head.content_type = "text/plain; charset=utf-8";
  s->responder.StartStream(std::move(head));
  std::weak_ptr<Stream> weak = s;
  s->responder.WatchClientGone([weak] {
    if (auto st = weak.lock()) st->gone = true;
  });
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      s->responder.EndStream();
      return;
    }
    streams_.push_back(s);
  }
  std::lock_guard<std::mutex> l(s->mu);
  std::string out;
  for (const LogEntry& e : backlog) out += FormatLogLine(e, s->target.timestamps);
  // Lines appended while the backlog was read may be in both: skip repeats.
  for (const LogEntry& e : s->early) {
    bool seen = false;
    for (const LogEntry& b : backlog) seen |= b.time == e.time && b.text == e.text;
    if (!seen) out += FormatLogLine(e, s->target.timestamps);
  }
  s->early.clear();
  s->started = true;
  if (!out.empty() && !s->responder.WriteChunk(std::move(out))) s->gone = true;
}

bool LogFollowers::StillRunning(const LogTarget& t) const {
  auto pod = store_->Get("core/pods", t.ns, t.pod);
  if (!pod.ok()) return false;
  const json& status = (**pod)["status"];
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    if (!status.contains(list) || !status[list].is_array()) continue;
    for (const json& c : status[list]) {
      if (c.value("name", "") != t.container) continue;
      return c.value("restartCount", 0) == t.restart && c.contains("state") &&
             c["state"].contains("running");
    }
  }
  return false;
}

void LogFollowers::Reap() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    cv_.wait_for(l, std::chrono::milliseconds(200));
    std::vector<std::shared_ptr<Stream>> all = streams_;
    l.unlock();
    std::vector<std::shared_ptr<Stream>> done;
    for (const auto& s : all) {
      if (s->gone || !StillRunning(s->target)) done.push_back(s);
    }
    for (const auto& s : done) {
      std::lock_guard<std::mutex> sl(s->mu);
      if (s->finished) continue;
      s->finished = true;
      s->responder.EndStream();
    }
    l.lock();
    std::erase_if(streams_, [](const std::shared_ptr<Stream>& s) {
      std::lock_guard<std::mutex> sl(s->mu);
      return s->finished;
    });
  }
}

void LogFollowers::Shutdown() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    all.swap(streams_);
  }
  cv_.notify_all();
  for (const auto& s : all) {
    std::lock_guard<std::mutex> sl(s->mu);
    if (s->finished) continue;
    s->finished = true;
    s->responder.EndStream();
  }
}

}  // namespace ferry::api
