// TokenSigner: signs ServiceAccount tokens for the TokenRequest subresource
// (`kubectl create token`) and publishes the verification keys at
// /openid/v1/jwks. Injected into ApiServer so tests and `ferry up` can swap
// it; the default is RS256 with a 2048-bit RSA key that is generated once
// and kept (mode 0600) in the data directory, so tokens survive restarts.
//
// Threads: Sign and Jwks may be called concurrently.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/status.h"

namespace ferry::api {

class TokenSigner {
 public:
  virtual ~TokenSigner() = default;
  // Returns a compact JWS for `claims` (a JSON object).
  virtual StatusOr<std::string> Sign(const nlohmann::json& claims) = 0;
  // The JSON Web Key Set ({"keys":[...]}) that verifies Sign's tokens.
  virtual nlohmann::json Jwks() const = 0;
};

// Loads the PEM private key at `key_path`, or generates and writes it.
StatusOr<std::unique_ptr<TokenSigner>> CreateRs256Signer(const std::string& key_path);

}  // namespace ferry::api
