#include "gateway/jwks.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

namespace ferry::gateway {
namespace {

using nlohmann::json;

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* k) {
  return k ? std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free) : nullptr;
}

bool B64Field(const json& k, const char* name, std::string* out) {
  auto it = k.find(name);
  return it != k.end() && it->is_string() && Base64UrlDecode(it->get<std::string>(), out) &&
         !out->empty();
}

std::shared_ptr<EVP_PKEY> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
      pkey = nullptr;
    }
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return Wrap(pkey);
}

std::shared_ptr<EVP_PKEY> RsaKey(const json& k) {
  std::string n, e;
  if (!B64Field(k, "n", &n) || !B64Field(k, "e", &e)) {
    return nullptr;
  }
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), n.size(), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), e.size(), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1) {
    key = FromData("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return key;
}

std::shared_ptr<EVP_PKEY> EcKey(const json& k, const std::string& crv) {
  const char* group = crv == "P-256"   ? "prime256v1"
                      : crv == "P-384" ? "secp384r1"
                      : crv == "P-521" ? "secp521r1"
                                       : nullptr;
  std::string x, y;
  if (!group || !B64Field(k, "x", &x) || !B64Field(k, "y", &y) || x.size() != y.size()) {
    return nullptr;
  }
  std::string pub = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) == 1) {
    key = FromData("EC", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

bool ParseKey(const json& k, Jwks::Key* out) {
  if (!k.is_object()) {
    return false;
  }
  auto str = [&](const char* name) {
    auto it = k.find(name);
    return it != k.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  out->kty = str("kty");
  out->kid = str("kid");
  out->alg = str("alg");
  out->crv = str("crv");
  if (out->kty == "RSA") {
    out->pkey = RsaKey(k);
  } else if (out->kty == "EC") {
    out->pkey = EcKey(k, out->crv);
  } else if (out->kty == "OKP" && out->crv == "Ed25519") {
    std::string x;
    if (B64Field(k, "x", &x) && x.size() == 32) {
      out->pkey = Wrap(EVP_PKEY_new_raw_public_key(
          EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    }
  } else if (out->kty == "oct") {
    return B64Field(k, "k", &out->secret);
  }
  return out->pkey != nullptr;
}

const EVP_MD* DigestFor(std::string_view alg) {
  std::string_view bits = alg.substr(2);
  if (bits == "256") {
    return EVP_sha256();
  }
  if (bits == "384") {
    return EVP_sha384();
  }
  if (bits == "512") {
    return EVP_sha512();
  }
  return nullptr;
}

// JWS ECDSA signatures are r||s; OpenSSL wants DER.
bool EcRawToDer(std::string_view raw, size_t coord, std::string* der) {
  if (raw.size() != coord * 2) {
    return false;
  }
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), coord, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + coord), coord, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* buf = nullptr;
  int len = i2d_ECDSA_SIG(sig, &buf);
  ECDSA_SIG_free(sig);
  if (len <= 0) {
    return false;
  }
  der->assign(reinterpret_cast<char*>(buf), len);
  OPENSSL_free(buf);
  return true;
}

bool VerifyEvp(EVP_PKEY* key, const EVP_MD* md, bool pss, std::string_view data,
               std::string_view sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key) == 1;
  if (ok && pss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  ok =
      ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool VerifyHmac(const std::string& secret, const EVP_MD* md, std::string_view data,
                std::string_view sig) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    return false;
  }
  return len == sig.size() && CRYPTO_memcmp(out, sig.data(), len) == 0;
}

// Which keys can carry which alg (jwt_verify_lib: kty must fit the alg family).
bool KeyFits(const Jwks::Key& k, std::string_view alg, size_t* ec_coord) {
  if (alg.substr(0, 2) == "RS" || alg.substr(0, 2) == "PS") {
    return k.kty == "RSA";
  }
  if (alg.substr(0, 2) == "HS") {
    return k.kty == "oct";
  }
  if (alg == "EdDSA") {
    return k.kty == "OKP";
  }
  static const std::pair<std::string_view, std::pair<std::string_view, size_t>> kEc[] = {
      {"ES256", {"P-256", 32}}, {"ES384", {"P-384", 48}}, {"ES512", {"P-521", 66}}};
  for (const auto& [a, c] : kEc) {
    if (alg == a) {
      *ec_coord = c.second;
      return k.kty == "EC" && k.crv == c.first;
    }
  }
  return false;
}

}  // namespace

std::shared_ptr<const Jwks> Jwks::Parse(std::string_view text, JwtStatus* status) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *status = JwtStatus::kJwksBadJson;
    return nullptr;
  }
  auto keys = j.find("keys");
  if (keys == j.end()) {
    *status = JwtStatus::kJwksNoKeys;
    return nullptr;
  }
  if (!keys->is_array()) {
    *status = JwtStatus::kJwksKeysNotArray;
    return nullptr;
  }
  auto out = std::make_shared<Jwks>();
  for (const auto& k : *keys) {
    Key key;
    if (ParseKey(k, &key)) {
      out->keys_.push_back(std::move(key));
    }
  }
  if (out->keys_.empty()) {
    *status = JwtStatus::kJwksNoValidKeys;
    return nullptr;
  }
  *status = JwtStatus::kOk;
  return out;
}

std::shared_ptr<const Jwks> Jwks::Empty() {
  static const auto* empty = new std::shared_ptr<const Jwks>(std::make_shared<Jwks>());
  return *empty;
}

JwtStatus VerifySignature(const ParsedJwt& jwt, const Jwks& jwks) {
  bool tried = false;
  for (const auto& k : jwks.keys()) {
    size_t coord = 0;
    if ((!jwt.kid.empty() && !k.kid.empty() && k.kid != jwt.kid) ||
        (!k.alg.empty() && k.alg != jwt.alg) || !KeyFits(k, jwt.alg, &coord)) {
      continue;
    }
    tried = true;
    bool ok = false;
    if (jwt.alg == "EdDSA") {
      if (jwt.signature.size() != 64) {
        return JwtStatus::kEd25519WrongLength;
      }
      ok = VerifyEvp(k.pkey.get(), nullptr, false, jwt.signed_part, jwt.signature);
    } else if (jwt.alg[0] == 'H') {
      ok = VerifyHmac(k.secret, DigestFor(jwt.alg), jwt.signed_part, jwt.signature);
    } else if (jwt.alg[0] == 'E') {
      std::string der;
      ok = EcRawToDer(jwt.signature, coord, &der) &&
           VerifyEvp(k.pkey.get(), DigestFor(jwt.alg), false, jwt.signed_part, der);
    } else {
      ok = VerifyEvp(k.pkey.get(), DigestFor(jwt.alg), jwt.alg[0] == 'P', jwt.signed_part,
                     jwt.signature);
    }
    if (ok) {
      return JwtStatus::kOk;
    }
  }
  return tried ? JwtStatus::kVerificationFail : JwtStatus::kKidAlgMismatch;
}

namespace {

HttpCall FetchCall(const std::string& url, std::chrono::milliseconds timeout) {
  HttpCall call;
  call.url = url;
  call.timeout = timeout;
  call.max_redirects = 3;
  call.max_body = 4u << 20;  // JWKS/discovery documents are small; refuse runaway bodies
  return call;
}

StatusOr<std::string> FetchResult(const std::string& url, StatusOr<HttpResult> r) {
  if (!r.ok()) {
    return UnavailableError("JWKS fetch of " + r.status().message() +
                            "; fix: check the jwksUri / issuer is reachable from Ferry");
  }
  if (r->status != 200) {
    return UnavailableError("JWKS fetch of " + url + " returned HTTP " + std::to_string(r->status) +
                            "; fix: check the jwksUri");
  }
  return std::move(r->body);
}

class CurlJwksFetcher : public JwksFetcher {
 public:
  explicit CurlJwksFetcher(std::shared_ptr<AsyncHttpClient> client) : client_(std::move(client)) {}

  StatusOr<std::string> Fetch(const std::string& url, std::chrono::milliseconds timeout) override {
    return FetchResult(url, PerformBlocking(FetchCall(url, timeout)));
  }

  void FetchAsync(const std::string& url, std::chrono::milliseconds timeout, Done done) override {
    if (!client_) {
      return done(Fetch(url, timeout));
    }
    client_->Start(FetchCall(url, timeout), [url, done = std::move(done)](StatusOr<HttpResult> r) {
      done(FetchResult(url, std::move(r)));
    });
  }

 private:
  std::shared_ptr<AsyncHttpClient> client_;
};

}  // namespace

std::shared_ptr<JwksFetcher> MakeCurlJwksFetcher(std::shared_ptr<AsyncHttpClient> client) {
  return std::make_shared<CurlJwksFetcher>(std::move(client));
}

}  // namespace ferry::gateway
