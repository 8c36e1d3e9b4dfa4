// Compiles RequestAuthentication JSON (jwtRules) into JwtRule objects:
// issuer, audiences, inline JWKS (parsed once) or jwksUri, token locations
// (Istio defaults when none given) and the output header options.
#include "gateway/compile_util.h"

namespace ferry::gateway {
namespace {

using compile::Ctx;
using compile::Meta;
using compile::ReadMeta;
using compile::ReadSelector;
using nlohmann::json;

Status ReadJwtRule(const std::string& id, const json& j, size_t idx, JwtRule* r) {
  std::string where = id + ": spec.jwtRules[" + std::to_string(idx) + "]";
  if (!j.is_object() || !j.contains("issuer") || !j["issuer"].is_string() ||
      j["issuer"].get<std::string>().empty()) {
    return InvalidArgumentError(where + ": issuer is required; fix: set the token issuer");
  }
  r->issuer = j["issuer"].get<std::string>();
  for (const auto& a : j.value("audiences", json::array())) {
    r->audiences.push_back(a.get<std::string>());
  }
  r->jwks_uri = j.value("jwksUri", "");
  if (auto t = j.find("timeout"); t != j.end() && t->is_string()) {
    // Durations like "5s" / "1.5s" / "500ms" (protobuf JSON form).
    std::string v = t->get<std::string>();
    double n = std::atof(v.c_str());
    bool ms = v.size() > 2 && v.compare(v.size() - 2, 2, "ms") == 0;
    if (n <= 0 || (!ms && v.back() != 's')) {
      return InvalidArgumentError(where + ".timeout: '" + v +
                                  "' is not a duration; fix: e.g. \"5s\"");
    }
    r->timeout_ms = static_cast<int64_t>(ms ? n : n * 1000);
  }
  std::string inline_jwks = j.value("jwks", "");
  if (!r->jwks_uri.empty() && !inline_jwks.empty()) {
    return InvalidArgumentError(where + ": jwks and jwksUri are exclusive; fix: keep one");
  }
  if (!inline_jwks.empty()) {
    JwtStatus st;
    r->inline_jwks = Jwks::Parse(inline_jwks, &st);
    if (!r->inline_jwks) {
      return InvalidArgumentError(where + ".jwks: " + std::string(JwtStatusString(st)) +
                                  "; fix: paste a valid JWKS JSON document");
    }
  }
  for (const auto& h : j.value("fromHeaders", json::array())) {
    r->locations.push_back(
        {JwtLocation::Kind::kHeader, AsciiLower(h.value("name", "")), h.value("prefix", "")});
  }
  for (const auto& p : j.value("fromParams", json::array())) {
    r->locations.push_back({JwtLocation::Kind::kParam, p.get<std::string>(), ""});
  }
  for (const auto& p : j.value("fromCookies", json::array())) {
    r->locations.push_back({JwtLocation::Kind::kCookie, p.get<std::string>(), ""});
  }
  if (r->locations.empty()) {
    r->locations.push_back({JwtLocation::Kind::kHeader, "authorization", "Bearer "});
    r->locations.push_back({JwtLocation::Kind::kParam, "access_token", ""});
  }
  r->output_payload_to_header = AsciiLower(j.value("outputPayloadToHeader", ""));
  r->forward_original_token = j.value("forwardOriginalToken", false);
  for (const auto& o : j.value("outputClaimToHeaders", json::array())) {
    std::string header = AsciiLower(o.value("header", ""));
    std::string claim = o.value("claim", "");
    if (header.empty() || claim.empty() ||
        header.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
      return InvalidArgumentError(where + ".outputClaimToHeaders: header '" + header +
                                  "' / claim '" + claim +
                                  "' invalid; fix: header must match ^[-_A-Za-z0-9]+$");
    }
    std::vector<std::string> path;
    size_t start = 0;
    while (true) {
      size_t dot = claim.find('.', start);
      path.push_back(claim.substr(start, dot - start));
      if (dot == std::string::npos) {
        break;
      }
      start = dot + 1;
    }
    r->claim_to_headers.emplace_back(header, std::move(path));
  }
  for (const auto& s : j.value("spaceDelimitedClaims", json::array())) {
    r->space_delimited_claims.push_back(s.get<std::string>());
  }
  return OkStatus();
}

StatusOr<RequestAuthn> CompileRaUnsafe(const json& object) {
  ASSIGN_OR_RETURN(Meta m, ReadMeta(object, "RequestAuthentication"));
  Ctx c{"RequestAuthentication " + m.ns + "/" + m.name, Action::kAllow, m.ns};
  RequestAuthn ra;
  ra.name = m.name;
  ra.ns = m.ns;
  RETURN_IF_ERROR(ReadSelector(c, *m.spec, &ra.has_selector, &ra.selector));
  const json& rules = m.spec->value("jwtRules", json::array());
  for (size_t i = 0; i < rules.size(); ++i) {
    JwtRule r;
    r.policy = m.ns + "/" + m.name;
    RETURN_IF_ERROR(ReadJwtRule(c.id, rules[i], i, &r));
    ra.rules.push_back(std::move(r));
  }
  return ra;
}

}  // namespace

StatusOr<RequestAuthn> CompileRequestAuthentication(const json& object) {
  try {
    return CompileRaUnsafe(object);
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("RequestAuthentication: malformed field: ") + e.what() +
                                "; fix: compare with the RequestAuthentication schema");
  }
}

}  // namespace ferry::gateway
