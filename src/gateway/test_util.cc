#include "gateway/test_util.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "gateway/jwt.h"

namespace ferry::gateway::testing {
namespace {

std::string Bn(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) {
    throw std::runtime_error("get_bn_param");
  }
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* k) {
  if (!k) {
    throw std::runtime_error("keygen failed");
  }
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

size_t CoordSize(const std::string& crv) { return crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66; }

std::string Sign(EVP_PKEY* key, const EVP_MD* md, bool pss, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, md, nullptr, key);
  if (pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("sign failed");
  }
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

std::string DerToRaw(const std::string& der, size_t coord) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, der.size());
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(coord * 2, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), coord);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + coord), coord);
  ECDSA_SIG_free(sig);
  return out;
}

const EVP_MD* Md(const std::string& alg) {
  std::string bits = alg.substr(2);
  return bits == "256" ? EVP_sha256() : bits == "384" ? EVP_sha384() : EVP_sha512();
}

}  // namespace

nlohmann::json TestKey::PublicJwk() const {
  nlohmann::json j = {{"kty", kty}, {"kid", kid}};
  if (kty == "RSA") {
    j["n"] = Base64UrlEncode(Bn(pkey.get(), OSSL_PKEY_PARAM_RSA_N));
    j["e"] = Base64UrlEncode(Bn(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  } else if (kty == "EC") {
    unsigned char buf[200];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len);
    size_t c = CoordSize(crv);
    std::string pub(reinterpret_cast<char*>(buf), len);
    j["crv"] = crv;
    j["x"] = Base64UrlEncode(pub.substr(1, c));
    j["y"] = Base64UrlEncode(pub.substr(1 + c, c));
  } else {
    unsigned char buf[32];
    size_t len = sizeof(buf);
    EVP_PKEY_get_raw_public_key(pkey.get(), buf, &len);
    j["crv"] = "Ed25519";
    j["x"] = Base64UrlEncode(std::string(reinterpret_cast<char*>(buf), len));
  }
  return j;
}

std::string TestKey::PublicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len);
  BIO_free(bio);
  return out;
}

TestKey MakeRsaKey(const std::string& kid, int bits) {
  return {Wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits))), "RSA", "",
          kid};
}

TestKey MakeEcKey(const std::string& kid, const std::string& crv) {
  const char* group = crv == "P-256" ? "P-256" : crv == "P-384" ? "P-384" : "P-521";
  return {Wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group)), "EC", crv, kid};
}

TestKey MakeEd25519Key(const std::string& kid) {
  return {Wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")), "OKP", "Ed25519", kid};
}

std::string JwksJson(const std::vector<const TestKey*>& keys) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto* k : keys) {
    arr.push_back(k->PublicJwk());
  }
  return nlohmann::json{{"keys", arr}}.dump();
}

std::string UnsignedJwt(const nlohmann::json& header, const nlohmann::json& payload) {
  return Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
}

std::string SignJwt(const TestKey& key, const std::string& alg, const nlohmann::json& payload,
                    nlohmann::json header) {
  if (!header.contains("alg")) {
    header["alg"] = alg;
  }
  if (!header.contains("kid") && !key.kid.empty()) {
    header["kid"] = key.kid;
  }
  std::string signing = UnsignedJwt(header, payload);
  std::string sig;
  if (alg == "EdDSA") {
    sig = Sign(key.pkey.get(), nullptr, false, signing);
  } else if (alg[0] == 'E') {
    sig = DerToRaw(Sign(key.pkey.get(), Md(alg), false, signing), CoordSize(key.crv));
  } else {
    sig = Sign(key.pkey.get(), Md(alg), alg[0] == 'P', signing);
  }
  return signing + "." + Base64UrlEncode(sig);
}

std::string HmacJwt(const std::string& secret, const std::string& alg,
                    const nlohmann::json& payload) {
  std::string signing = UnsignedJwt({{"alg", alg}, {"typ", "JWT"}}, payload);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(Md(alg), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), out, &len);
  return signing + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(out), len));
}

}  // namespace ferry::gateway::testing
