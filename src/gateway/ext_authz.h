// CUSTOM action support: the MeshConfig `envoyExtAuthzHttp` provider model,
// the HTTP check request Envoy sends (ExtAuthzHttpCall) and how its answer
// is read (ExtAuthzResult), the ExtAuthzClient interface (blocking HTTP via
// libcurl, or an in-process built-in such as the oauth2-proxy), and the
// registry that maps provider names to clients.
//
// The engine consults a provider only when a CUSTOM rule matched (shadow
// gate). Built-in clients answer in-process and are called on the request
// thread. A provider reached over the network is never called there by the
// listeners: the engine reports it as pending (Decision::pending), the
// ingress pipeline parks the request and makes the call on an
// AsyncHttpClient (async_http.h), then evaluates again with the answer
// (EvalOptions::ext_authz_result). Only callers that may block (tests,
// Evaluate() without EvalOptions::can_park) use the blocking HTTP client.
// Clients must be thread-safe. The registry is filled at startup and read
// concurrently afterwards (no locking on reads after startup).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/async_http.h"
#include "gateway/match.h"
#include "gateway/request.h"

namespace ferry::gateway {

struct ExtAuthzProvider {
  std::string name;
  std::string service;  // "[ns/]host"
  uint32_t port = 0;
  std::string path_prefix;
  int64_t timeout_ms = 600'000;  // Istio's default 600 s
  bool fail_open = false;
  int status_on_error = 403;
  std::vector<StringPattern> include_request_headers;  // case-insensitive
  std::vector<OwnedHeader> additional_headers;
  std::vector<StringPattern> headers_to_upstream_on_allow;
  std::vector<StringPattern> headers_to_downstream_on_allow;
  std::vector<StringPattern> headers_to_downstream_on_deny;
  bool downstream_on_deny_set = false;

  // "http://host:port" the HTTP client connects to.
  std::string BaseUrl() const;
};

// Parses MeshConfig `extensionProviders` (the list, or a MeshConfig object
// holding it). Non-envoyExtAuthzHttp providers are skipped.
StatusOr<std::vector<ExtAuthzProvider>> ParseExtensionProviders(const nlohmann::json& mesh);

struct ExtAuthzCheckRequest {
  std::string method;
  std::string host;
  std::string path;                  // pathPrefix + original path (query included)
  std::vector<OwnedHeader> headers;  // lower-case names; excludes Host / Content-Length
};

struct ExtAuthzResponse {
  int status = 0;
  std::vector<OwnedHeader> headers;  // lower-case names
  std::string body;
};

class ExtAuthzClient {
 public:
  virtual ~ExtAuthzClient() = default;
  // A non-OK Status means the call failed (connect error, timeout): the
  // engine then applies failOpen / statusOnError.
  virtual StatusOr<ExtAuthzResponse> Check(const ExtAuthzProvider& provider,
                                           const ExtAuthzCheckRequest& request) = 0;
};

// Blocking client over PerformBlocking (callers that may wait only).
std::shared_ptr<ExtAuthzClient> MakeHttpExtAuthzClient();

// The HTTP request for `check` to `provider` (method, pathPrefix + path,
// Host, Content-Length: 0, the selected headers; the provider's timeout).
HttpCall ExtAuthzHttpCall(const ExtAuthzProvider& provider, const ExtAuthzCheckRequest& check);
// The provider's answer; a failed call (connect error, timeout) becomes an
// error naming the provider and the fix (the engine applies failOpen /
// statusOnError to it).
StatusOr<ExtAuthzResponse> ExtAuthzResult(const ExtAuthzProvider& provider,
                                          StatusOr<HttpResult> http);

class ExtAuthzRegistry {
 public:
  ExtAuthzRegistry();  // HTTP client as the default
  // Route provider `name` to an in-process implementation instead of HTTP.
  void RegisterBuiltin(const std::string& name, std::shared_ptr<ExtAuthzClient> client);
  // Replace the HTTP client for every other provider (tests: a scripted
  // client; such a client is called like a built-in).
  void SetDefault(std::shared_ptr<ExtAuthzClient> client);
  ExtAuthzClient* ClientFor(const std::string& provider_name) const;
  bool IsBuiltin(std::string_view provider_name) const;
  // True when `provider_name` is served by the HTTP client (a network peer).
  bool CallsNetwork(std::string_view provider_name) const;

 private:
  std::shared_ptr<ExtAuthzClient> default_;
  bool default_is_http_ = true;
  std::map<std::string, std::shared_ptr<ExtAuthzClient>, std::less<>> builtin_;
};

// True when `name` (any case) matches one of the patterns.
bool HeaderAllowed(const std::vector<StringPattern>& patterns, std::string_view name);

}  // namespace ferry::gateway
