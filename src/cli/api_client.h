// ApiClient: a small blocking HTTPS client for the Kubernetes-compatible API
// of `ferry up` (libcurl; the CA and bearer token from the kubeconfig), plus
// API discovery: which resource a user means by `isvc`, `secret` or
// `inferenceservices.serving.kserve.io`, and where it lives.
//
// Used by the client verbs in this folder, one command at a time; not
// thread-safe (one curl handle).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/kubeconfig.h"
#include "common/status.h"

namespace ferry::cli {

struct ApiResponse {
  long status = 0;
  std::string body;
};

class ApiClient {
 public:
  explicit ApiClient(ClientConfig config);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // `path` with query, e.g. "/api/v1/namespaces/default/secrets?limit=500".
  // Transport failures are errors; HTTP statuses are data.
  StatusOr<ApiResponse> Do(const std::string& method, const std::string& path,
                           const std::string& body = "", const std::string& content_type = "",
                           const std::string& accept = "application/json");
  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
  void* curl_;  // CURL*
};

// A non-2xx answer as kubectl prints it: "Error from server (NotFound): ...".
Status ServerError(const ApiResponse& resp);

struct Resource {
  std::string group;    // "" for core
  std::string version;  // "v1", "v1beta1"
  std::string plural;
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "inferenceservices.serving.kserve.io" / "secrets" (kube error wording).
  std::string Qualified() const { return group.empty() ? plural : plural + "." + group; }
  // "inferenceservice.serving.kserve.io" / "secret" (kubectl's output names).
  std::string Display() const;
  // Collection or object path; `ns` ignored for cluster-scoped kinds.
  std::string Path(const std::string& ns, const std::string& name = "") const;
};

class Discovery {
 public:
  static StatusOr<Discovery> Load(ApiClient& client);
  // By plural, singular, kind (any case), short name, or "plural.group".
  StatusOr<Resource> Find(const std::string& what) const;
  // By manifest apiVersion and kind.
  StatusOr<Resource> ForKind(const std::string& api_version, const std::string& kind) const;

 private:
  std::vector<Resource> resources_;  // preferred versions first
};

}  // namespace ferry::cli
