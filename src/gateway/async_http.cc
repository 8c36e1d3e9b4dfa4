#include "gateway/async_http.h"

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace ferry::gateway {
namespace {

// One transfer: the easy handle's options and buffers.
struct Transfer {
  uint64_t id = 0;  // AsyncHttpClient's id of the call
  HttpCall call;
  HttpResult result;
  curl_slist* headers = nullptr;
  bool too_large = false;

  ~Transfer() { curl_slist_free_all(headers); }
};

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  std::string_view line(p, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->result.headers.clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
      v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
      v.remove_suffix(1);
    }
    t->result.headers.push_back({std::move(name), std::string(v)});
  }
  return size * n;
}

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  if (t->result.body.size() + size * n > t->call.max_body) {
    t->too_large = true;
    return 0;
  }
  t->result.body.append(p, size * n);
  return size * n;
}

// Sets every option of `t->call` on `c` (a fresh or reset handle).
void Configure(CURL* c, Transfer* t) {
  const HttpCall& call = t->call;
  for (const auto& h : call.headers) {
    t->headers = curl_slist_append(t->headers, h.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (call.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (call.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, call.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, call.max_redirects);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_PRIVATE, t);
}

StatusOr<HttpResult> Finish(CURL* c, Transfer* t, CURLcode rc) {
  if (rc != CURLE_OK) {
    std::string why = t->too_large
                          ? "response body over " + std::to_string(t->call.max_body) + " bytes"
                          : curl_easy_strerror(rc);
    std::string msg = t->call.url + " failed: " + why;
    return rc == CURLE_OPERATION_TIMEDOUT ? DeadlineExceededError(msg) : UnavailableError(msg);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  t->result.status = static_cast<int>(status);
  return std::move(t->result);
}

}  // namespace

StatusOr<HttpResult> PerformBlocking(const HttpCall& call) {
  CURL* c = curl_easy_init();
  if (!c) {
    return InternalError(call.url + ": curl_easy_init failed");
  }
  Transfer t;
  t.call = call;
  Configure(c, &t);
  CURLcode rc = curl_easy_perform(c);
  StatusOr<HttpResult> out = Finish(c, &t, rc);
  curl_easy_cleanup(c);
  return out;
}

// DESIGN: callers queue starts and cancels under `mu` and wake the thread
// (curl_multi_wakeup); only the thread touches the multi handle and the easy
// handles. Completions are collected under no lock and their callbacks run on
// the thread after the multi handle is consistent again. Impl is shared by the
// handle and the thread: a callback that drops the last owner of the handle
// (the client is then destroyed on its own thread) detaches the thread, which
// finishes its loop on the Impl it still holds.
struct AsyncHttpClient::Impl {
  struct Running {
    CURL* easy = nullptr;
    std::unique_ptr<Transfer> transfer;
    Done done;
  };

  ~Impl() { curl_multi_cleanup(multi); }

  CURLM* multi = nullptr;
  std::thread thread;
  mutable std::mutex mu;
  std::deque<std::pair<uint64_t, Running>> starting;  // guarded by mu
  std::vector<uint64_t> cancelling;                   // guarded by mu
  bool stopping = false;                              // guarded by mu
  bool stopped = false;                               // guarded by mu
  uint64_t next_id = 1;                               // guarded by mu
  std::atomic<size_t> active{0};
  std::map<uint64_t, Running> running;  // the thread's own

  void Loop();
  void Complete(uint64_t id, StatusOr<HttpResult> result);
  void Remove(Running& r);
};

void AsyncHttpClient::Impl::Remove(Running& r) {
  curl_multi_remove_handle(multi, r.easy);
  curl_easy_cleanup(r.easy);
  r.easy = nullptr;
}

void AsyncHttpClient::Impl::Complete(uint64_t id, StatusOr<HttpResult> result) {
  auto it = running.find(id);
  if (it == running.end()) {
    return;
  }
  Running r = std::move(it->second);
  running.erase(it);
  if (r.easy != nullptr) {
    Remove(r);
  }
  active.fetch_sub(1, std::memory_order_relaxed);
  r.done(std::move(result));
}

void AsyncHttpClient::Impl::Loop() {
  for (;;) {
    std::deque<std::pair<uint64_t, Running>> starts;
    std::vector<uint64_t> cancels;
    bool stop = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      starts.swap(starting);
      cancels.swap(cancelling);
      stop = stopping;
    }
    for (auto& [id, r] : starts) {
      r.easy = curl_easy_init();
      if (r.easy == nullptr) {
        running.emplace(id, std::move(r));
        Complete(id, InternalError("curl_easy_init failed"));
        continue;
      }
      Configure(r.easy, r.transfer.get());
      curl_multi_add_handle(multi, r.easy);
      running.emplace(id, std::move(r));
    }
    for (uint64_t id : cancels) {
      Complete(id, CancelledError("the call was cancelled"));
    }
    if (stop) {
      while (!running.empty()) {
        Complete(running.begin()->first, CancelledError("the HTTP client is shutting down"));
      }
      return;
    }
    int still = 0;
    curl_multi_perform(multi, &still);
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &queued)) {
      if (m->msg != CURLMSG_DONE) {
        continue;
      }
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
      if (t == nullptr) {
        continue;
      }
      CURLcode rc = m->data.result;
      StatusOr<HttpResult> result = Finish(m->easy_handle, t, rc);
      Complete(t->id, std::move(result));
    }
    // Sleeps until a socket is ready, curl's next timeout or a wakeup.
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
}

AsyncHttpClient::AsyncHttpClient() : impl_(std::make_shared<Impl>()) {
  impl_->multi = curl_multi_init();
  impl_->thread = std::thread([impl = impl_] { impl->Loop(); });
}

AsyncHttpClient::~AsyncHttpClient() { Shutdown(); }

uint64_t AsyncHttpClient::Start(HttpCall call, Done done) {
  Impl::Running r;
  r.transfer = std::make_unique<Transfer>();
  r.transfer->call = std::move(call);
  r.done = std::move(done);
  uint64_t id = 0;
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    id = impl_->next_id++;
    r.transfer->id = id;
    if (!impl_->stopping) {
      impl_->active.fetch_add(1, std::memory_order_relaxed);
      impl_->starting.emplace_back(id, std::move(r));
      queued = true;
    }
  }
  if (!queued) {
    r.done(CancelledError("the HTTP client is shutting down"));
    return id;
  }
  curl_multi_wakeup(impl_->multi);
  return id;
}

void AsyncHttpClient::Cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) {
      return;
    }
    impl_->cancelling.push_back(id);
  }
  curl_multi_wakeup(impl_->multi);
}

void AsyncHttpClient::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopped) {
      return;
    }
    impl_->stopping = true;
    impl_->stopped = true;
  }
  curl_multi_wakeup(impl_->multi);
  if (impl_->thread.joinable()) {
    if (impl_->thread.get_id() == std::this_thread::get_id()) {
      impl_->thread.detach();  // called from a callback: the loop ends after it
    } else {
      impl_->thread.join();
    }
  }
}

size_t AsyncHttpClient::in_flight() const { return impl_->active.load(std::memory_order_relaxed); }

}  // namespace ferry::gateway
