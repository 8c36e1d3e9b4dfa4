// HttpClient: one blocking libcurl transfer with the options Ferry's storage
// downloads need (SigV4 signing via CURLOPT_AWS_SIGV4, TLS settings, connect
// and low-speed timeouts, byte ranges, streaming body sink).
//
// Called by the S3 and HTTP providers from their worker threads; each call
// uses its own easy handle, so calls are independent and thread-safe.
// Transport failures are classified (connect refused, DNS, TLS, timeout,
// reset) so callers can decide on retries and write precise error messages;
// HTTP statuses are returned as data, never as a Status.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::storage {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, or POST (with `body`)
  std::string url;
  std::vector<std::string> headers;                    // "Name: value"
  std::string body;                                    // POST only
  std::optional<std::pair<uint64_t, uint64_t>> range;  // inclusive byte range
  // SigV4 (S3): signed when `sigv4_region` is non-empty.
  std::string sigv4_region;
  std::string access_key;
  std::string secret_key;
  bool verify_ssl = true;
  std::string ca_bundle;
  long connect_timeout_ms = 15000;
  long low_speed_time_s = 30;  // abort when < 1 byte/s arrives for this long
  bool follow_redirects = false;
  // CURLOPT_CONNECT_TO entries ("host:port:addr:port"), e.g. to reach a test
  // server under the host name a signature was computed for.
  std::vector<std::string> connect_to;
};

enum class TransportFailure {
  kNone,
  kConnect,  // connection refused / unreachable
  kResolve,  // DNS
  kTls,      // handshake / certificate
  kTimeout,  // connect or low-speed timeout
  kReset,    // connection dropped mid-transfer, short body
  kAborted,  // the sink asked to stop
  kOther,
};

struct HttpResponse {
  TransportFailure failure = TransportFailure::kNone;
  std::string failure_detail;  // libcurl's message
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;         // error bodies and sink-less bodies (capped at 1 MiB for errors)
  uint64_t body_bytes = 0;  // bytes handed to the sink

  bool transport_ok() const { return failure == TransportFailure::kNone; }
  std::string Header(const std::string& lower_name) const;
};

// Receives 2xx body bytes; return false to abort the transfer.
using BodySink = std::function<bool(const char* data, size_t size)>;

// Performs `req`. With a null sink, the body is collected in response.body.
HttpResponse PerformHttp(const HttpRequest& req, const BodySink& sink = nullptr);

// Whether a response is worth retrying (5xx, 429, timeouts, resets, refused).
bool IsRetryable(const HttpResponse& resp);

// Short human description of a transport failure kind ("connection refused" ...).
std::string DescribeFailure(const HttpResponse& resp);

}  // namespace ferry::storage
