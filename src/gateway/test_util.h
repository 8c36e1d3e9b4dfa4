// Test-only helpers: OpenSSL key generation, JWK export and JWT signing so
// the gateway tests never depend on committed key material.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace ferry::gateway::testing {

struct TestKey {
  std::shared_ptr<EVP_PKEY> pkey;
  std::string kty;  // RSA, EC, OKP
  std::string crv;  // EC/OKP curve
  std::string kid;
  nlohmann::json PublicJwk() const;
  std::string PublicPem() const;
};

TestKey MakeRsaKey(const std::string& kid, int bits = 2048);
TestKey MakeEcKey(const std::string& kid, const std::string& crv);  // P-256, P-384, P-521
TestKey MakeEd25519Key(const std::string& kid);

std::string JwksJson(const std::vector<const TestKey*>& keys);

// header gets alg (+kid if set on the key) unless `header` overrides them.
std::string SignJwt(const TestKey& key, const std::string& alg, const nlohmann::json& payload,
                    nlohmann::json header = nlohmann::json::object());
std::string HmacJwt(const std::string& secret, const std::string& alg,
                    const nlohmann::json& payload);
std::string UnsignedJwt(const nlohmann::json& header, const nlohmann::json& payload);

}  // namespace ferry::gateway::testing
