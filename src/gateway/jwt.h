// JWT parsing (no signature check) with jwt_verify_lib's exact status
// strings, plus the VerifiedJwt the engine hands to policy matching and to
// the caller (principal, claims, audiences, presenter).
//
// ParseJwt is a pure function (thread-safe, used by the fuzz target).
// VerifiedJwt objects are immutable and shared between the verification
// cache and decisions via shared_ptr<const VerifiedJwt>.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.h"  // tokens and JWKS key material are base64url

namespace ferry::gateway {

// Outcomes of parsing / verifying one token. Strings are byte-exact copies of
// google/jwt_verify_lib's status messages [JVL status.cc].
enum class JwtStatus : uint8_t {
  kOk,
  kMissing,
  kBadFormat,
  kHeaderBadBase64,
  kHeaderBadJson,
  kHeaderBadAlg,
  kHeaderAlgNotSupported,
  kHeaderBadKid,
  kPayloadBadBase64,
  kPayloadBadJson,
  kIssNotString,
  kSubNotString,
  kIatNotInteger,
  kIatNotPositive,
  kNbfNotInteger,
  kNbfNotPositive,
  kExpNotInteger,
  kExpNotPositive,
  kJtiNotString,
  kAudNotString,
  kSignatureBadBase64,
  kUnknownIssuer,
  kExpired,
  kNotYetValid,
  kAudienceNotAllowed,
  kVerificationFail,
  kKidAlgMismatch,
  kJwksFetchFail,
  kMultipleTokens,
  kEd25519WrongLength,
  kJwksBadJson,
  kJwksNoKeys,
  kJwksKeysNotArray,
  kJwksNoValidKeys,
};

std::string_view JwtStatusString(JwtStatus status);

// A syntactically valid token, signature not yet checked. Views point into
// the token string passed to ParseJwt, which must outlive this object.
struct ParsedJwt {
  std::string_view signed_part;  // "header.payload"
  std::string signature;         // decoded bytes
  std::string alg;
  std::string kid;
  std::string iss;
  std::string sub;
  std::string azp;
  std::vector<std::string> aud;
  int64_t iat = 0;
  int64_t nbf = 0;
  int64_t exp = 0;
  std::string payload_json;  // decoded payload text
  std::shared_ptr<const nlohmann::json> payload;
};

JwtStatus ParseJwt(std::string_view token, ParsedJwt* out);

// jwt_verify_lib time check with clock skew (Envoy: 60 s).
JwtStatus CheckJwtTime(int64_t nbf, int64_t exp, int64_t now, int64_t skew = 60);

// Audience check: some configured audience equals some token audience after
// stripping "http://"/"https://" and a trailing '/' (jwt_verify_lib rule).
bool AudienceAllowed(const std::vector<std::string>& allowed, const std::vector<std::string>& aud);

// The result of a successful verification; immutable.
struct VerifiedJwt {
  std::string issuer;
  std::string subject;
  std::string principal;  // "<iss>/<sub>" (request.auth.principal)
  std::string presenter;  // azp
  std::vector<std::string> audiences;
  int64_t exp = 0;
  int64_t nbf = 0;
  std::string payload_json;
  std::shared_ptr<const nlohmann::json> claims;  // the payload object

  // Claim at a nested path as a string (string, integer or bool claims only);
  // empty optional-like result: returns false when absent / not primitive.
  bool ClaimAsString(const std::vector<std::string>& path, std::string* out) const;
  // The same without copying: string claims are viewed in place (valid while
  // this object lives); integers are printed into *scratch.
  bool ClaimView(const std::vector<std::string>& path, std::string_view* out,
                 std::string* scratch) const;
};

}  // namespace ferry::gateway
