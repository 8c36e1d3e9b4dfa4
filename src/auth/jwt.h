// Compact JWS tokens signed RS256 by Ferry's TokenSigner: parsing (header,
// claims, signature) and verification against the signer's JSON Web Key Set.
// Used by the API's authenticators (authenticator.h) for ServiceAccount and
// OIDC user tokens; signing stays with api::TokenSigner.
//
// JwksVerifier is immutable after construction; Verify is thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::auth {

struct Jwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signed_part;  // "header.payload" as sent
  std::string signature;    // decoded bytes
};

// InvalidArgument for anything that is not three base64url parts with JSON
// objects as header and payload.
StatusOr<Jwt> ParseJwt(std::string_view token);
bool Base64UrlDecode(std::string_view in, std::string* out);

// The `aud` claim as a list (a single string or an array of strings).
std::vector<std::string> Audiences(const nlohmann::json& claims);

class JwksVerifier {
 public:
  // RSA keys ("kty":"RSA") of `jwks` ({"keys":[...]}); others are ignored.
  explicit JwksVerifier(const nlohmann::json& jwks);
  ~JwksVerifier();
  JwksVerifier(const JwksVerifier&) = delete;
  JwksVerifier& operator=(const JwksVerifier&) = delete;

  // RS256 with the key named by the header's kid (any key when it has none).
  bool Verify(const Jwt& jwt) const;
  size_t key_count() const;

 private:
  struct Key;
  std::vector<std::unique_ptr<Key>> keys_;
};

}  // namespace ferry::auth
