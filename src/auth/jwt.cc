#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace ferry::auth {
namespace {

using nlohmann::json;

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

bool Base64UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = B64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

StatusOr<Jwt> ParseJwt(std::string_view token) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return InvalidArgumentError("not a compact JWS (three dot-separated parts)");
  }
  Jwt jwt;
  std::string header, payload;
  if (!Base64UrlDecode(token.substr(0, d1), &header) ||
      !Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1), &payload) ||
      !Base64UrlDecode(token.substr(d2 + 1), &jwt.signature)) {
    return InvalidArgumentError("a JWT part is not base64url");
  }
  jwt.header = json::parse(header, nullptr, false);
  jwt.claims = json::parse(payload, nullptr, false);
  if (!jwt.header.is_object() || !jwt.claims.is_object()) {
    return InvalidArgumentError("the JWT header or payload is not a JSON object");
  }
  jwt.signed_part = std::string(token.substr(0, d2));
  return jwt;
}

std::vector<std::string> Audiences(const json& claims) {
  std::vector<std::string> out;
  auto it = claims.find("aud");
  if (it == claims.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const json& a : *it) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

struct JwksVerifier::Key {
  std::string kid;
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

EVP_PKEY* RsaPublicKey(const std::string& n_bytes, const std::string& e_bytes) {
  BIGNUM* n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()),
                        static_cast<int>(n_bytes.size()), nullptr);
  BIGNUM* e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()),
                        static_cast<int>(e_bytes.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  if (n != nullptr && e != nullptr && bld != nullptr &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr &&
      (ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr)) != nullptr &&
      EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return pkey;
}

}  // namespace

JwksVerifier::JwksVerifier(const json& jwks) {
  if (!jwks.is_object() || !jwks.value("keys", json()).is_array()) return;
  for (const json& k : jwks["keys"]) {
    if (!k.is_object() || k.value("kty", "") != "RSA") continue;
    std::string n, e;
    if (!Base64UrlDecode(k.value("n", ""), &n) || !Base64UrlDecode(k.value("e", ""), &e)) continue;
    auto key = std::make_unique<Key>();
    key->kid = k.value("kid", "");
    key->pkey = RsaPublicKey(n, e);
    if (key->pkey != nullptr) keys_.push_back(std::move(key));
  }
}

JwksVerifier::~JwksVerifier() = default;

size_t JwksVerifier::key_count() const { return keys_.size(); }

bool JwksVerifier::Verify(const Jwt& jwt) const {
  auto alg = jwt.header.find("alg");
  if (alg == jwt.header.end() || *alg != "RS256") return false;
  std::string kid = jwt.header.value("kid", "");
  for (const auto& key : keys_) {
    if (!kid.empty() && key->kid != kid) continue;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx != nullptr &&
              EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key->pkey) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                               jwt.signature.size(),
                               reinterpret_cast<const unsigned char*>(jwt.signed_part.data()),
                               jwt.signed_part.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok) return true;
  }
  return false;
}

}  // namespace ferry::auth
