#include "gateway/ext_authz.h"

#include <nlohmann/json.hpp>

namespace ferry::gateway {

using nlohmann::json;

std::string ExtAuthzProvider::BaseUrl() const {
  std::string host = service;
  // "[ns/]host": the namespace part only scopes the lookup in Istio.
  if (size_t slash = host.find('/'); slash != std::string::npos) {
    host = host.substr(slash + 1);
  }
  return "http://" + host + ":" + std::to_string(port);
}

namespace {

std::vector<StringPattern> Patterns(const json& p, const char* key) {
  std::vector<StringPattern> out;
  auto it = p.find(key);
  if (it != p.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) {
        out.push_back(StringPattern::Parse(v.get<std::string>(), /*ignore_case=*/true));
      }
    }
  }
  return out;
}

int64_t ParseDurationMs(const json& v) {
  if (v.is_number()) {
    return static_cast<int64_t>(v.get<double>() * 1000);
  }
  std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    return std::atoll(s.c_str());
  }
  if (!s.empty() && (s.back() == 's')) {
    return static_cast<int64_t>(std::atof(s.c_str()) * 1000);
  }
  if (!s.empty() && s.back() == 'm') {
    return static_cast<int64_t>(std::atof(s.c_str()) * 60000);
  }
  return -1;
}

StatusOr<ExtAuthzProvider> ParseProvider(const std::string& name, const json& p) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("MeshConfig extensionProvider '" + name + "': " + why);
  };
  ExtAuthzProvider out;
  out.name = name;
  out.service = p.value("service", "");
  if (out.service.empty()) {
    return bad("envoyExtAuthzHttp.service is required; fix: set the authz service host");
  }
  out.port = p.value("port", 0u);
  if (out.port == 0 || out.port > 65535) {
    return bad("envoyExtAuthzHttp.port must be 1-65535; fix: set the service port");
  }
  out.path_prefix = p.value("pathPrefix", "");
  if (!out.path_prefix.empty() && out.path_prefix[0] != '/') {
    return bad("pathPrefix must start with '/'");
  }
  if (auto t = p.find("timeout"); t != p.end()) {
    out.timeout_ms = ParseDurationMs(*t);
    if (out.timeout_ms <= 0) {
      return bad("timeout is not a duration like \"5s\"");
    }
  }
  out.fail_open = p.value("failOpen", false);
  if (auto s = p.find("statusOnError"); s != p.end()) {
    std::string v = s->is_string() ? s->get<std::string>() : s->dump();
    int code = std::atoi(v.c_str());
    if (code < 100 || code > 599) {
      return bad("statusOnError '" + v + "' is not an HTTP status code");
    }
    out.status_on_error = code;
  }
  out.include_request_headers = Patterns(p, "includeRequestHeadersInCheck");
  for (const auto& x : Patterns(p, "includeHeadersInCheck")) {
    out.include_request_headers.push_back(x);
  }
  if (auto a = p.find("includeAdditionalHeadersInCheck"); a != p.end() && a->is_object()) {
    for (const auto& [k, v] : a->items()) {
      std::string lk = k;
      for (char& c : lk) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      out.additional_headers.push_back({lk, v.is_string() ? v.get<std::string>() : v.dump()});
    }
  }
  out.headers_to_upstream_on_allow = Patterns(p, "headersToUpstreamOnAllow");
  out.headers_to_downstream_on_allow = Patterns(p, "headersToDownstreamOnAllow");
  out.headers_to_downstream_on_deny = Patterns(p, "headersToDownstreamOnDeny");
  out.downstream_on_deny_set = p.contains("headersToDownstreamOnDeny");
  if (out.downstream_on_deny_set) {
    for (const char* h : {"path", "status", "content-length", "www-authenticate", "location"}) {
      out.headers_to_downstream_on_deny.push_back(StringPattern::Parse(h, true));
    }
  }
  return out;
}

StatusOr<std::vector<ExtAuthzProvider>> ParseUnsafe(const json& mesh) {
  const json* list = &mesh;
  if (mesh.is_object()) {
    auto it = mesh.find("extensionProviders");
    if (it == mesh.end()) {
      return std::vector<ExtAuthzProvider>{};
    }
    list = &*it;
  }
  if (!list->is_array()) {
    return InvalidArgumentError("MeshConfig extensionProviders must be a list");
  }
  std::vector<ExtAuthzProvider> out;
  for (const auto& e : *list) {
    std::string name = e.value("name", "");
    auto http = e.find("envoyExtAuthzHttp");
    if (name.empty() || http == e.end()) {
      continue;
    }
    ASSIGN_OR_RETURN(auto p, ParseProvider(name, *http));
    out.push_back(std::move(p));
  }
  return out;
}

class HttpExtAuthzClient : public ExtAuthzClient {
 public:
  StatusOr<ExtAuthzResponse> Check(const ExtAuthzProvider& provider,
                                   const ExtAuthzCheckRequest& req) override {
    return ExtAuthzResult(provider, PerformBlocking(ExtAuthzHttpCall(provider, req)));
  }
};

}  // namespace

StatusOr<std::vector<ExtAuthzProvider>> ParseExtensionProviders(const json& mesh) {
  try {
    return ParseUnsafe(mesh);
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("MeshConfig extensionProviders malformed: ") +
                                e.what() + "; fix: compare with the MeshConfig schema");
  }
}

HttpCall ExtAuthzHttpCall(const ExtAuthzProvider& provider, const ExtAuthzCheckRequest& req) {
  HttpCall call;
  call.method = req.method;
  call.url = provider.BaseUrl() + req.path;
  call.timeout = std::chrono::milliseconds(provider.timeout_ms);
  // No body: Content-Length 0, and none of curl's own defaults.
  call.headers = {"Host: " + req.host, "Content-Length: 0", "Expect:", "Accept:"};
  for (const auto& h : req.headers) {
    call.headers.push_back(h.name + ": " + h.value);
  }
  return call;
}

StatusOr<ExtAuthzResponse> ExtAuthzResult(const ExtAuthzProvider& provider,
                                          StatusOr<HttpResult> http) {
  if (!http.ok()) {
    return Status(http.status().code(),
                  "ext-authz provider '" + provider.name + "' at " + http.status().message() +
                      "; fix: check the MeshConfig service/port and that it is up");
  }
  return ExtAuthzResponse{http->status, std::move(http->headers), std::move(http->body)};
}

std::shared_ptr<ExtAuthzClient> MakeHttpExtAuthzClient() {
  return std::make_shared<HttpExtAuthzClient>();
}

ExtAuthzRegistry::ExtAuthzRegistry() : default_(MakeHttpExtAuthzClient()) {}

void ExtAuthzRegistry::RegisterBuiltin(const std::string& name,
                                       std::shared_ptr<ExtAuthzClient> client) {
  builtin_[name] = std::move(client);
}

void ExtAuthzRegistry::SetDefault(std::shared_ptr<ExtAuthzClient> client) {
  default_ = std::move(client);
  default_is_http_ = false;
}

bool ExtAuthzRegistry::IsBuiltin(std::string_view provider_name) const {
  return builtin_.find(provider_name) != builtin_.end();
}

bool ExtAuthzRegistry::CallsNetwork(std::string_view provider_name) const {
  return !IsBuiltin(provider_name) && default_is_http_;
}

ExtAuthzClient* ExtAuthzRegistry::ClientFor(const std::string& provider_name) const {
  auto it = builtin_.find(provider_name);
  return it != builtin_.end() ? it->second.get() : default_.get();
}

bool HeaderAllowed(const std::vector<StringPattern>& patterns, std::string_view name) {
  for (const auto& p : patterns) {
    if (p.Matches(name)) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::gateway
