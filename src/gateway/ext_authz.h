// CUSTOM action support: the MeshConfig `envoyExtAuthzHttp` provider model,
// the ExtAuthzClient interface (HTTP via libcurl, or an in-process built-in
// such as a future oauth2-proxy), and the registry that maps provider names
// to clients.
//
// The engine calls a client only when a CUSTOM rule matched (shadow gate),
// from the request thread; clients must be thread-safe. The registry is
// filled at startup and read concurrently afterwards (no locking on reads
// after startup).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/status.h"
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

std::shared_ptr<ExtAuthzClient> MakeHttpExtAuthzClient();

class ExtAuthzRegistry {
 public:
  ExtAuthzRegistry();  // HTTP client as the default
  // Route provider `name` to an in-process implementation instead of HTTP.
  void RegisterBuiltin(const std::string& name, std::shared_ptr<ExtAuthzClient> client);
  void SetDefault(std::shared_ptr<ExtAuthzClient> client);
  ExtAuthzClient* ClientFor(const std::string& provider_name) const;

 private:
  std::shared_ptr<ExtAuthzClient> default_;
  std::map<std::string, std::shared_ptr<ExtAuthzClient>, std::less<>> builtin_;
};

// True when `name` (any case) matches one of the patterns.
bool HeaderAllowed(const std::vector<StringPattern>& patterns, std::string_view name);

}  // namespace ferry::gateway
