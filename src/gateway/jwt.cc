#include "gateway/jwt.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace ferry::gateway {
namespace {

using nlohmann::json;

// JSON object or nothing; never throws.
std::shared_ptr<json> ParseObject(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return nullptr;
  }
  return std::make_shared<json>(std::move(j));
}

// jwt_verify_lib reads numbers through protobuf Struct (double): anything
// non-numeric is "not an integer", negative/fractional/huge "not positive".
JwtStatus ReadTime(const json& p, const char* key, int64_t* out, JwtStatus not_int,
                   JwtStatus not_pos) {
  auto it = p.find(key);
  if (it == p.end()) {
    return JwtStatus::kOk;
  }
  if (!it->is_number()) {
    return not_int;
  }
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return not_pos;
    }
    *out = static_cast<int64_t>(u);
    return JwtStatus::kOk;
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < 0) {
      return not_pos;
    }
    *out = v;
    return JwtStatus::kOk;
  }
  double d = it->get<double>();
  if (!(d >= 0) || d != std::floor(d) || d >= 9.2e18) {
    return not_pos;
  }
  *out = static_cast<int64_t>(d);
  return JwtStatus::kOk;
}

JwtStatus ParseHeader(std::string_view b64, ParsedJwt* out) {
  std::string text;
  if (!Base64UrlDecode(b64, &text)) {
    return JwtStatus::kHeaderBadBase64;
  }
  auto h = ParseObject(text);
  if (!h) {
    return JwtStatus::kHeaderBadJson;
  }
  auto alg = h->find("alg");
  if (alg == h->end() || !alg->is_string()) {
    return JwtStatus::kHeaderBadAlg;
  }
  out->alg = alg->get<std::string>();
  static constexpr std::string_view kAlgs[] = {"ES256", "ES384", "ES512", "HS256", "HS384",
                                               "HS512", "RS256", "RS384", "RS512", "PS256",
                                               "PS384", "PS512", "EdDSA"};
  bool known = false;
  for (std::string_view a : kAlgs) {
    known = known || a == out->alg;
  }
  if (!known) {
    return JwtStatus::kHeaderAlgNotSupported;
  }
  auto kid = h->find("kid");
  if (kid != h->end()) {
    if (!kid->is_string()) {
      return JwtStatus::kHeaderBadKid;
    }
    out->kid = kid->get<std::string>();
  }
  return JwtStatus::kOk;
}

JwtStatus ReadString(const json& p, const char* key, std::string* out, JwtStatus bad) {
  auto it = p.find(key);
  if (it == p.end()) {
    return JwtStatus::kOk;
  }
  if (!it->is_string()) {
    return bad;
  }
  *out = it->get<std::string>();
  return JwtStatus::kOk;
}

JwtStatus ParsePayload(std::string_view b64, ParsedJwt* out) {
  if (!Base64UrlDecode(b64, &out->payload_json)) {
    return JwtStatus::kPayloadBadBase64;
  }
  auto p = ParseObject(out->payload_json);
  if (!p) {
    return JwtStatus::kPayloadBadJson;
  }
  JwtStatus s = ReadString(*p, "iss", &out->iss, JwtStatus::kIssNotString);
  if (s == JwtStatus::kOk) {
    s = ReadString(*p, "sub", &out->sub, JwtStatus::kSubNotString);
  }
  if (s == JwtStatus::kOk) {
    s = ReadTime(*p, "iat", &out->iat, JwtStatus::kIatNotInteger, JwtStatus::kIatNotPositive);
  }
  if (s == JwtStatus::kOk) {
    s = ReadTime(*p, "nbf", &out->nbf, JwtStatus::kNbfNotInteger, JwtStatus::kNbfNotPositive);
  }
  if (s == JwtStatus::kOk) {
    s = ReadTime(*p, "exp", &out->exp, JwtStatus::kExpNotInteger, JwtStatus::kExpNotPositive);
  }
  std::string jti;
  if (s == JwtStatus::kOk) {
    s = ReadString(*p, "jti", &jti, JwtStatus::kJtiNotString);
  }
  if (s != JwtStatus::kOk) {
    return s;
  }
  if (auto aud = p->find("aud"); aud != p->end()) {
    if (aud->is_string()) {
      out->aud.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) {
          return JwtStatus::kAudNotString;
        }
        out->aud.push_back(a.get<std::string>());
      }
    } else {
      return JwtStatus::kAudNotString;
    }
  }
  if (auto azp = p->find("azp"); azp != p->end() && azp->is_string()) {
    out->azp = azp->get<std::string>();
  }
  out->payload = std::move(p);
  return JwtStatus::kOk;
}

std::string_view StripAudience(std::string_view a) {
  if (a.substr(0, 7) == "http://") {
    a.remove_prefix(7);
  } else if (a.substr(0, 8) == "https://") {
    a.remove_prefix(8);
  }
  if (!a.empty() && a.back() == '/') {
    a.remove_suffix(1);
  }
  return a;
}

}  // namespace

std::string_view JwtStatusString(JwtStatus status) {
  switch (status) {
    case JwtStatus::kOk:
      return "OK";
    case JwtStatus::kMissing:
      return "Jwt is missing";
    case JwtStatus::kBadFormat:
      return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    case JwtStatus::kHeaderBadBase64:
      return "Jwt header is an invalid Base64url encoded";
    case JwtStatus::kHeaderBadJson:
      return "Jwt header is an invalid JSON";
    case JwtStatus::kHeaderBadAlg:
      return "Jwt header [alg] field is required and must be a string";
    case JwtStatus::kHeaderAlgNotSupported:
      return "Jwt header [alg] is not supported";
    case JwtStatus::kHeaderBadKid:
      return "Jwt header [kid] field is not a string";
    case JwtStatus::kPayloadBadBase64:
      return "Jwt payload is an invalid Base64url encoded";
    case JwtStatus::kPayloadBadJson:
      return "Jwt payload is an invalid JSON";
    case JwtStatus::kIssNotString:
      return "Jwt payload [iss] field is not a string";
    case JwtStatus::kSubNotString:
      return "Jwt payload [sub] field is not a string";
    case JwtStatus::kIatNotInteger:
      return "Jwt payload [iat] field is not an integer";
    case JwtStatus::kIatNotPositive:
      return "Jwt payload [iat] field is not a positive 64 bit integer";
    case JwtStatus::kNbfNotInteger:
      return "Jwt payload [nbf] field is not an integer";
    case JwtStatus::kNbfNotPositive:
      return "Jwt payload [nbf] field is not a positive 64 bit integer";
    case JwtStatus::kExpNotInteger:
      return "Jwt payload [exp] field is not an integer";
    case JwtStatus::kExpNotPositive:
      return "Jwt payload [exp] field is not a positive 64 bit integer";
    case JwtStatus::kJtiNotString:
      return "Jwt payload [jti] field is not a string";
    case JwtStatus::kAudNotString:
      return "Jwt payload [aud] field is not a string or string list";
    case JwtStatus::kSignatureBadBase64:
      return "Jwt signature is an invalid Base64url encoded";
    case JwtStatus::kUnknownIssuer:
      return "Jwt issuer is not configured";
    case JwtStatus::kExpired:
      return "Jwt is expired";
    case JwtStatus::kNotYetValid:
      return "Jwt not yet valid";
    case JwtStatus::kAudienceNotAllowed:
      return "Audiences in Jwt are not allowed";
    case JwtStatus::kVerificationFail:
      return "Jwt verification fails";
    case JwtStatus::kKidAlgMismatch:
      return "Jwks doesn't have key to match kid or alg from Jwt";
    case JwtStatus::kJwksFetchFail:
      return "Jwks remote fetch is failed";
    case JwtStatus::kMultipleTokens:
      return "Found multiple Jwt tokens";
    case JwtStatus::kEd25519WrongLength:
      return "Jwt ED25519 signature is wrong length";
    case JwtStatus::kJwksBadJson:
      return "Jwks is an invalid JSON";
    case JwtStatus::kJwksNoKeys:
      return "Jwks does not have [keys] field";
    case JwtStatus::kJwksKeysNotArray:
      return "[keys] in Jwks is not an array";
    case JwtStatus::kJwksNoValidKeys:
      return "Jwks doesn't have any valid public key";
  }
  return "unknown";
}

JwtStatus ParseJwt(std::string_view token, ParsedJwt* out) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos ||
      token.find('.', d2 + 1) != std::string_view::npos) {
    return JwtStatus::kBadFormat;
  }
  JwtStatus s = ParseHeader(token.substr(0, d1), out);
  if (s != JwtStatus::kOk) {
    return s;
  }
  s = ParsePayload(token.substr(d1 + 1, d2 - d1 - 1), out);
  if (s != JwtStatus::kOk) {
    return s;
  }
  if (!Base64UrlDecode(token.substr(d2 + 1), &out->signature)) {
    return JwtStatus::kSignatureBadBase64;
  }
  out->signed_part = token.substr(0, d2);
  return JwtStatus::kOk;
}

JwtStatus CheckJwtTime(int64_t nbf, int64_t exp, int64_t now, int64_t skew) {
  if (nbf != 0 && now + skew < nbf) {
    return JwtStatus::kNotYetValid;
  }
  if (exp != 0 && now > exp + skew) {
    return JwtStatus::kExpired;
  }
  return JwtStatus::kOk;
}

bool AudienceAllowed(const std::vector<std::string>& allowed, const std::vector<std::string>& aud) {
  if (allowed.empty()) {
    return true;
  }
  for (const auto& a : allowed) {
    for (const auto& t : aud) {
      if (StripAudience(a) == StripAudience(t)) {
        return true;
      }
    }
  }
  return false;
}

bool VerifiedJwt::ClaimView(const std::vector<std::string>& path, std::string_view* out,
                            std::string* scratch) const {
  if (!claims || path.empty()) {
    return false;
  }
  const json* cur = claims.get();
  for (const auto& k : path) {
    if (!cur->is_object()) {
      return false;
    }
    auto it = cur->find(k);
    if (it == cur->end()) {
      return false;
    }
    cur = &*it;
  }
  if (cur->is_string()) {
    *out = cur->get_ref<const std::string&>();
  } else if (cur->is_boolean()) {
    *out = cur->get<bool>() ? "true" : "false";
  } else if (cur->is_number_integer()) {
    *scratch = cur->dump();
    *out = *scratch;
  } else {
    return false;
  }
  return true;
}

bool VerifiedJwt::ClaimAsString(const std::vector<std::string>& path, std::string* out) const {
  std::string_view v;
  std::string scratch;
  if (!ClaimView(path, &v, &scratch)) {
    return false;
  }
  out->assign(v);
  return true;
}

}  // namespace ferry::gateway
