// Fuzz target: the bytes an API client controls reach the auth engine as a
// bearer token, a request path and query, and impersonation headers. Any input
// must parse (or be refused) without crashing: the first line is a token
// (parsed as a JWT, authenticated against a JWKS from the second line), the
// third a request target (decoded and parsed as a RequestInfo), the rest
// "name: value" headers for impersonation.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.h"
#include "auth/forbidden.h"
#include "auth/impersonation.h"
#include "auth/request_info.h"

namespace {

std::vector<std::string> Lines(std::string_view in) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= in.size() && out.size() < 64) {
    size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    out.emplace_back(in.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> lines =
      Lines(std::string_view(reinterpret_cast<const char*>(data), size));
  lines.resize(std::max<size_t>(lines.size(), 3));
  nlohmann::json jwks = nlohmann::json::parse(lines[1], nullptr, false);
  ferry::auth::AuthenticatorOptions opts;
  opts.admin_token = "admin";
  ferry::auth::Authenticator authn(
      opts, jwks.is_discarded() ? nlohmann::json() : jwks,
      [](std::string_view, std::string_view, std::string_view) -> std::optional<std::string> {
        return std::string("uid");
      });
  (void)authn.AuthenticateToken(lines[0]);
  (void)authn.AuthenticateToken(lines[0], {"aud"});

  std::string target = lines[2];
  std::string path = target.substr(0, target.find('?'));
  std::map<std::string, std::string, std::less<>> query;
  if (target.find('?') != std::string::npos) {
    query["watch"] = "1";
    query["fieldSelector"] = target.substr(target.find('?') + 1);
  }
  auto decoded = ferry::auth::DecodePath(path);
  if (decoded.ok()) {
    ferry::auth::RequestInfo info = ferry::auth::ParseRequestInfo("GET", *decoded, query);
    ferry::auth::UserInfo user = ferry::auth::AnonymousUser();
    ferry::auth::Attributes a;
    a.user = &user;
    a.verb = info.verb;
    a.resource_request = info.resource_request;
    a.resource = info.resource;
    a.subresource = info.subresource;
    a.ns = info.ns;
    a.name = info.name;
    a.path = info.path;
    (void)ferry::auth::ForbiddenStatusMessage(a, "");
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (size_t i = 3; i < lines.size(); ++i) {
    size_t colon = lines[i].find(": ");
    if (colon == std::string::npos) continue;
    headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 2));
  }
  (void)ferry::auth::ParseImpersonation(headers);
  return 0;
}
