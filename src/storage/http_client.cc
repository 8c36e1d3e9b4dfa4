#include "storage/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace ferry::storage {
namespace {

constexpr size_t kMaxErrorBody = 1 << 20;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse* resp = nullptr;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 || t->sink == nullptr || !*t->sink) {
    size_t room = kMaxErrorBody > t->resp->body.size() ? kMaxErrorBody - t->resp->body.size() : 0;
    t->resp->body.append(data, std::min(n, room));
    return n;
  }
  if (!(*t->sink)(data, n)) return 0;  // CURLE_WRITE_ERROR
  t->resp->body_bytes += n;
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new response (redirect / 100-continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t b = colon + 1;
  while (b < line.size() && (line[b] == ' ' || line[b] == '\t')) ++b;
  size_t e = line.size();
  while (e > b && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ')) --e;
  t->resp->headers[name] = line.substr(b, e - b);
  return n;
}

TransportFailure Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportFailure::kNone;
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::kConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportFailure::kResolve;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return TransportFailure::kTls;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportFailure::kTimeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportFailure::kReset;
    case CURLE_WRITE_ERROR:
      return TransportFailure::kAborted;
    default:
      return TransportFailure::kOther;
  }
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

constexpr long kDownloadBufferSize = 512 * 1024;

// One easy handle per thread, reset before each request: curl_easy_reset
// clears the options but keeps the handle's connection cache, so a worker
// fetching many small objects reuses its keep-alive connection instead of
// paying a TCP (and TLS) handshake per object.
struct EasyHandle {
  CURL* curl = curl_easy_init();
  ~EasyHandle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

EasyHandle& ThreadHandle() {
  static thread_local EasyHandle handle;
  if (handle.curl == nullptr) {
    handle.curl = curl_easy_init();
  } else {
    curl_easy_reset(handle.curl);
  }
  return handle;
}

}  // namespace

HttpResponse PerformHttp(const HttpRequest& req, const BodySink& sink) {
  GlobalInit();
  HttpResponse resp;
  EasyHandle& handle = ThreadHandle();
  CURL* curl = handle.curl;
  if (curl == nullptr) {
    resp.failure = TransportFailure::kOther;
    resp.failure_detail = "curl_easy_init failed";
    return resp;
  }
  Transfer t{curl, &sink, &resp};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // Large receive buffers: fewer recv/write callbacks per byte on big objects
  // (libcurl's default is 16 KB).
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, sink ? kDownloadBufferSize : 16384L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, req.low_speed_time_s);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, req.verify_ssl ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, req.verify_ssl ? 2L : 0L);
  if (!req.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_bundle.c_str());
  if (req.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (req.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.c_str());
  }
  std::string range;
  if (req.range) {
    range = std::to_string(req.range->first) + "-" + std::to_string(req.range->second);
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }
  std::string sigv4;
  if (!req.sigv4_region.empty()) {
    sigv4 = "aws:amz:" + req.sigv4_region + ":s3";
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, req.access_key.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, req.secret_key.c_str());
  }
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  curl_slist* connect_to = nullptr;
  for (const auto& c : req.connect_to) connect_to = curl_slist_append(connect_to, c.c_str());
  if (connect_to != nullptr) curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  resp.failure = Classify(code);
  if (code != CURLE_OK) {
    resp.failure_detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  }
  // Detach the per-request lists before freeing them (the handle lives on).
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, nullptr);
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  if (resp.failure != TransportFailure::kNone) {
    // Don't keep a connection that just failed: the next request starts clean.
    curl_easy_cleanup(curl);
    handle.curl = nullptr;
  }
  return resp;
}

bool IsRetryable(const HttpResponse& resp) {
  switch (resp.failure) {
    case TransportFailure::kConnect:
    case TransportFailure::kTimeout:
    case TransportFailure::kReset:
    case TransportFailure::kOther:
      return true;
    case TransportFailure::kNone:
      return resp.status >= 500 || resp.status == 429 || resp.status == 408;
    default:
      return false;
  }
}

std::string DescribeFailure(const HttpResponse& resp) {
  switch (resp.failure) {
    case TransportFailure::kNone:
      return "HTTP " + std::to_string(resp.status);
    case TransportFailure::kConnect:
      return "connection refused or host unreachable (" + resp.failure_detail + ")";
    case TransportFailure::kResolve:
      return "DNS lookup failed (" + resp.failure_detail + ")";
    case TransportFailure::kTls:
      return "TLS handshake or certificate verification failed (" + resp.failure_detail + ")";
    case TransportFailure::kTimeout:
      return "timed out (" + resp.failure_detail + ")";
    case TransportFailure::kReset:
      return "connection dropped mid-transfer (" + resp.failure_detail + ")";
    case TransportFailure::kAborted:
      return "transfer aborted";
    case TransportFailure::kOther:
      return resp.failure_detail;
  }
  return resp.failure_detail;
}

}  // namespace ferry::storage
