#include "cli/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

ApiClient::ApiClient(ClientConfig config) : config_(std::move(config)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
}

ApiClient::~ApiClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

StatusOr<ApiResponse> ApiClient::Do(const std::string& method, const std::string& path,
                                    const std::string& body, const std::string& content_type,
                                    const std::string& accept) {
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return InternalError("libcurl could not be initialised");
  curl_easy_reset(c);
  std::string url = config_.server + path;
  ApiResponse resp;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (config_.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!config_.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
  if (!content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  }
  if (!config_.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + config_.token).c_str());
  }
  headers = curl_slist_append(headers, "User-Agent: ferry-cli");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return UnavailableError("cannot reach the Ferry API at " + config_.server + " (" +
                            (error[0] ? std::string(error) : curl_easy_strerror(rc)) +
                            "): is `ferry up` running with the data dir of " + config_.source +
                            "?");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

Status ServerError(const ApiResponse& resp) {
  json status = json::parse(resp.body, nullptr, false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    std::string reason = status.value("reason", "");
    std::string message = status.value("message", "");
    if (resp.status == 401) {
      return PermissionDeniedError(
          "You must be logged in to the server (Unauthorized): the kubeconfig's token was "
          "refused; use the kubeconfig of the running `ferry up` (ferry kubeconfig)");
    }
    std::string text = "Error from server (" + reason + "): " + message;
    return resp.status == 404 ? NotFoundError(text) : FailedPreconditionError(text);
  }
  return FailedPreconditionError("Error from server (HTTP " + std::to_string(resp.status) +
                                 "): " + resp.body);
}

std::string Resource::Display() const {
  std::string k = AsciiLower(kind);
  return group.empty() ? k : k + "." + group;
}

std::string Resource::Path(const std::string& ns, const std::string& name) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + plural;
  if (!name.empty()) p += "/" + name;
  return p;
}

namespace {

// Reads one APIResourceList into `out` (subresources skipped).
Status AddResources(ApiClient& client, const std::string& group, const std::string& version,
                    std::vector<Resource>* out) {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  ASSIGN_OR_RETURN(ApiResponse resp, client.Do("GET", path));
  if (resp.status != 200) return ServerError(resp);
  json list = json::parse(resp.body, nullptr, false);
  if (!list.is_object() || !list.contains("resources")) {
    return InternalError("discovery document " + path + " is not an APIResourceList");
  }
  for (const auto& r : list["resources"]) {
    std::string name = r.value("name", "");
    if (name.empty() || name.find('/') != std::string::npos) continue;
    Resource res{group,
                 version,
                 name,
                 r.value("singularName", ""),
                 r.value("kind", ""),
                 r.value("namespaced", true),
                 {}};
    if (r.contains("shortNames")) {
      for (const auto& s : r["shortNames"]) res.short_names.push_back(s.get<std::string>());
    }
    out->push_back(std::move(res));
  }
  return OkStatus();
}

}  // namespace

StatusOr<Discovery> Discovery::Load(ApiClient& client) {
  Discovery d;
  RETURN_IF_ERROR(AddResources(client, "", "v1", &d.resources_));
  ASSIGN_OR_RETURN(ApiResponse resp, client.Do("GET", "/apis"));
  if (resp.status != 200) return ServerError(resp);
  json groups = json::parse(resp.body, nullptr, false);
  if (!groups.is_object() || !groups.contains("groups")) {
    return InternalError("/apis is not an APIGroupList");
  }
  std::vector<std::pair<std::string, std::string>> others;
  for (const auto& g : groups["groups"]) {
    std::string name = g.value("name", "");
    std::string preferred =
        g.contains("preferredVersion") ? g["preferredVersion"].value("version", "") : std::string();
    if (!preferred.empty()) RETURN_IF_ERROR(AddResources(client, name, preferred, &d.resources_));
    for (const auto& v : g.value("versions", json::array())) {
      std::string version = v.value("version", "");
      if (version != preferred) others.emplace_back(name, version);
    }
  }
  for (const auto& [g, v] : others) RETURN_IF_ERROR(AddResources(client, g, v, &d.resources_));
  return d;
}

StatusOr<Resource> Discovery::Find(const std::string& what) const {
  std::string w = AsciiLower(what);
  for (const Resource& r : resources_) {
    bool match = w == r.plural || w == r.singular || w == AsciiLower(r.kind) ||
                 (!r.group.empty() &&
                  (w == r.plural + "." + r.group || w == AsciiLower(r.kind) + "." + r.group ||
                   w == r.singular + "." + r.group));
    for (const auto& s : r.short_names) match = match || w == s;
    if (match) return r;
  }
  return NotFoundError("error: the server doesn't have a resource type \"" + what +
                       "\" (try inferenceservices/isvc, secrets, serviceaccounts/sa, "
                       "authorizationpolicies, services/svc, namespaces/ns, events)");
}

StatusOr<Resource> Discovery::ForKind(const std::string& api_version,
                                      const std::string& kind) const {
  for (const Resource& r : resources_) {
    if (r.ApiVersion() == api_version && r.kind == kind) return r;
  }
  return NotFoundError("no matches for kind \"" + kind + "\" in version \"" + api_version +
                       "\": check apiVersion and kind (ferry get serves the same kinds)");
}

}  // namespace ferry::cli
