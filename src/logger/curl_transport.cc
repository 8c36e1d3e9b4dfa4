// The libcurl transport of Dispatcher: one easy handle per sender thread, kept between events
// so the connection to the receiver is reused (a local receiver costs no connect per event).
#include <curl/curl.h>

#include <memory>

#include "logger/dispatcher.h"

namespace ferry::logger {
namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

SendOutcome Post(CURL* h, const Event& e, std::chrono::milliseconds timeout) {
  curl_slist* headers = nullptr;
  for (const std::string& line : e.headers) headers = curl_slist_append(headers, line.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, e.url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, e.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(e.body.size()));
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

Transport CurlTransport(std::chrono::milliseconds timeout) {
  return [timeout](const Event& e) {
    thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
    if (!handle) return SendOutcome{false, true, "libcurl could not start a transfer"};
    return Post(handle.get(), e, timeout);
  };
}

}  // namespace ferry::logger
