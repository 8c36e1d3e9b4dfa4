// Token authentication with real RS256 tokens (an RSA key made here; the
// same algorithm as api::TokenSigner): the admin token, ServiceAccount tokens
// (audiences, expiry, the ServiceAccount and its uid), OIDC user tokens.
#include "auth/authenticator.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <chrono>
#include <map>

namespace ferry::auth {
namespace {

using nlohmann::json;

std::string B64Url(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(k[(acc << (6 - bits)) & 63]);
  return out;
}

std::string Bn(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

class Keys {
 public:
  Keys() : key_(EVP_RSA_gen(2048)) {}
  ~Keys() { EVP_PKEY_free(key_); }
  json Jwks() const {
    return {{"keys",
             {{{"kty", "RSA"},
               {"kid", "k1"},
               {"alg", "RS256"},
               {"n", B64Url(Bn(key_, OSSL_PKEY_PARAM_RSA_N))},
               {"e", B64Url(Bn(key_, OSSL_PKEY_PARAM_RSA_E))}}}}};
  }
  std::string Sign(const json& claims) const {
    std::string input =
        B64Url(json{{"alg", "RS256"}, {"kid", "k1"}}.dump()) + "." + B64Url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return input + "." + B64Url(sig);
  }

 private:
  EVP_PKEY* key_;
};

constexpr char kIssuer[] = "https://kubernetes.default.svc.cluster.local";

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json SaClaims(const std::string& ns, const std::string& name, const std::string& uid,
              json aud = json::array({kIssuer}), int64_t exp_in = 3600) {
  return {
      {"iss", kIssuer},
      {"sub", "system:serviceaccount:" + ns + ":" + name},
      {"aud", aud},
      {"iat", Now()},
      {"nbf", Now()},
      {"exp", Now() + exp_in},
      {"jti", "j-1"},
      {"kubernetes.io", {{"namespace", ns}, {"serviceaccount", {{"name", name}, {"uid", uid}}}}}};
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  static AuthenticatorOptions Options() {
    AuthenticatorOptions o;
    o.admin_token = "admintoken";
    return o;
  }
  AuthenticatorTest()
      : authn_(Options(), keys_.Jwks(),
               [this](std::string_view kind, std::string_view ns,
                      std::string_view name) -> std::optional<std::string> {
                 auto it = live_.find(std::string(kind) + "/" + std::string(ns) + "/" +
                                      std::string(name));
                 if (it == live_.end()) return std::nullopt;
                 return it->second;
               }) {
    live_["ServiceAccount/ns1/default-editor"] = "uid-1";
  }
  Keys keys_;
  std::map<std::string, std::string> live_;
  Authenticator authn_;
};

TEST_F(AuthenticatorTest, AdminToken) {
  auto u = authn_.AuthenticateToken("admintoken");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->name, "kubernetes-admin");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"system:masters", "system:authenticated"}));
  EXPECT_FALSE(authn_.AuthenticateToken("admintokeN").ok());
  EXPECT_FALSE(authn_.AuthenticateToken("").ok());
}

TEST_F(AuthenticatorTest, ServiceAccountToken) {
  auto u = authn_.AuthenticateToken(keys_.Sign(SaClaims("ns1", "default-editor", "uid-1")));
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->name, "system:serviceaccount:ns1:default-editor");
  EXPECT_EQ(u->uid, "uid-1");
  EXPECT_EQ(u->groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ns1",
                                      "system:authenticated"}));
  EXPECT_EQ(u->extra.at("authentication.kubernetes.io/credential-id"),
            std::vector<std::string>{"JTI=j-1"});
}

TEST_F(AuthenticatorTest, ServiceAccountTokenRefusals) {
  // Another audience (e.g. `kubectl create token --audience istio-ingressgateway`).
  auto u = authn_.AuthenticateToken(
      keys_.Sign(SaClaims("ns1", "default-editor", "uid-1", {"istio-ingressgateway"})));
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(),
            "token audiences [\"istio-ingressgateway\"] is invalid for the target audiences "
            "[\"https://kubernetes.default.svc.cluster.local\"]");
  // ...which a TokenReview for that audience accepts.
  EXPECT_TRUE(authn_
                  .AuthenticateToken(keys_.Sign(SaClaims("ns1", "default-editor", "uid-1",
                                                         {"istio-ingressgateway"})),
                                     {"istio-ingressgateway"})
                  .ok());
  // Expired beyond the 60 s leeway.
  EXPECT_EQ(authn_
                .AuthenticateToken(
                    keys_.Sign(SaClaims("ns1", "default-editor", "uid-1", {kIssuer}, -120)))
                .status()
                .message(),
            "service account token has expired");
  // A recreated ServiceAccount (new uid) and a deleted one.
  EXPECT_FALSE(authn_.AuthenticateToken(keys_.Sign(SaClaims("ns1", "default-editor", "old"))).ok());
  EXPECT_FALSE(authn_.AuthenticateToken(keys_.Sign(SaClaims("ns1", "gone", "uid-1"))).ok());
  // Tampered claims: the signature no longer verifies.
  std::string token = keys_.Sign(SaClaims("ns1", "default-editor", "uid-1"));
  size_t dot = token.find('.');
  std::string forged = token.substr(0, dot) + "." +
                       B64Url(SaClaims("kube-system", "default-editor", "uid-1").dump()) +
                       token.substr(token.rfind('.'));
  EXPECT_FALSE(authn_.AuthenticateToken(forged).ok());
  // Another signer's token.
  Keys other;
  EXPECT_FALSE(
      authn_.AuthenticateToken(other.Sign(SaClaims("ns1", "default-editor", "uid-1"))).ok());
}

TEST_F(AuthenticatorTest, OidcUserToken) {
  json claims = {{"iss", kIssuer},
                 {"sub", "user@example.com"},
                 {"aud", "kubeflow-oidc-authservice"},
                 {"email", "user@example.com"},
                 {"email_verified", true},
                 {"iat", Now()},
                 {"nbf", Now()},
                 {"exp", Now() + 600},
                 {"groups", {"team-a"}}};
  auto u = authn_.AuthenticateToken(keys_.Sign(claims));
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->name, "user@example.com");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"team-a", "system:authenticated"}));
  json no_email = claims;
  no_email.erase("email");
  EXPECT_FALSE(authn_.AuthenticateToken(keys_.Sign(no_email)).ok());
  json unverified = claims;
  unverified["email_verified"] = false;
  EXPECT_EQ(authn_.AuthenticateToken(keys_.Sign(unverified)).status().message(),
            "oidc: email not verified");
  json wrong_aud = claims;
  wrong_aud["aud"] = "someone-else";
  EXPECT_FALSE(authn_.AuthenticateToken(keys_.Sign(wrong_aud)).ok());
  // A ServiceAccount token minted for the OIDC audience is not a user.
  json sa = SaClaims("ns1", "default-editor", "uid-1", {"kubeflow-oidc-authservice"});
  sa["email"] = "user@example.com";
  EXPECT_FALSE(authn_.AuthenticateToken(keys_.Sign(sa)).ok());
}

}  // namespace
}  // namespace ferry::auth
