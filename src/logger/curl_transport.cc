// Dispatcher's default transport: pipelined HTTP/1.1 for http:// receivers (http_pipeline.h) and
// libcurl for https:// ones — one easy handle per sender thread, kept between events so the
// connection is reused.
#include <curl/curl.h>

#include <memory>

#include "logger/dispatcher.h"
#include "logger/http_pipeline.h"

namespace ferry::logger {
namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

SendOutcome Post(CURL* h, const Event& e, std::chrono::milliseconds timeout) {
  curl_slist* headers = nullptr;
  for (const std::string& line : e.HeaderLines()) {
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, e.url().c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, e.body().data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(e.body().size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "ferry-payload-logger");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  SendOutcome out;
  if (rc != CURLE_OK) {
    out.retryable = true;
    out.detail = curl_easy_strerror(rc);
    return out;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  out.ok = status >= 200 && status < 300;
  out.retryable = status == 429 || status >= 500;
  if (!out.ok) out.detail = "HTTP " + std::to_string(status);
  return out;
}

}  // namespace

Transport DefaultTransport(std::chrono::milliseconds timeout) {
  return [timeout](const std::vector<const Event*>& events) {
    // Each sender thread keeps its own connections.
    thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
    thread_local PipelineClient pipeline(timeout);
    thread_local std::string last_url;
    thread_local HttpTarget target;
    thread_local bool is_http = false;
    std::vector<SendOutcome> out;
    out.reserve(events.size());
    size_t i = 0;
    while (i < events.size()) {
      const std::string& url = events[i]->url();
      if (url != last_url) {
        last_url = url;
        is_http = ParseHttpTarget(url, &target);
      }
      size_t end = i;
      while (end < events.size() &&
             (events[end]->target == events[i]->target || events[end]->url() == url)) {
        ++end;
      }
      if (is_http) {
        std::vector<const Event*> group(events.begin() + i, events.begin() + end);
        for (SendOutcome& o : pipeline.Send(target, group)) out.push_back(std::move(o));
      } else {
        for (size_t k = i; k < end; ++k) {
          out.push_back(handle ? Post(handle.get(), *events[k], timeout)
                               : SendOutcome{false, true, "libcurl could not start a transfer"});
        }
      }
      i = end;
    }
    return out;
  };
}

}  // namespace ferry::logger
