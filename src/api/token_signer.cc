#include "api/token_signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/encoding.h"

namespace ferry::api {
namespace {

using nlohmann::json;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

StatusOr<Pkey> LoadOrGenerate(const std::string& path) {
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!key) {
      return DataLossError("service account signing key " + path +
                           " is not a PEM private key; delete it to generate a new one");
    }
    return key;
  }
  Pkey key(EVP_RSA_gen(2048));
  if (!key) return InternalError("cannot generate the service account signing key (OpenSSL)");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return UnavailableError("cannot write the service account signing key " + path +
                            "; check the data directory is writable");
  }
  ::chmod(tmp.c_str(), 0600);
  bool ok = PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot write the service account signing key " + path);
  }
  return key;
}

std::string BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

class Rs256Signer : public TokenSigner {
 public:
  explicit Rs256Signer(Pkey key) : key_(std::move(key)) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key_.get(), &der);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, len > 0 ? len : 0, digest);
    OPENSSL_free(der);
    kid_ = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
    jwks_ = {{"keys",
              {{{"use", "sig"},
                {"kty", "RSA"},
                {"kid", kid_},
                {"alg", "RS256"},
                {"n", Base64UrlEncode(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
                {"e", Base64UrlEncode(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E))}}}}};
  }

  StatusOr<std::string> Sign(const json& claims) override {
    json header = {{"alg", "RS256"}, {"kid", kid_}, {"typ", "JWT"}};
    std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    std::string sig;
    bool ok =
        ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
    if (ok) {
      sig.resize(len);
      ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
      sig.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) return InternalError("signing a service account token failed (OpenSSL)");
    return input + "." + Base64UrlEncode(sig);
  }

  json Jwks() const override { return jwks_; }

 private:
  Pkey key_;
  std::string kid_;
  json jwks_;
};

}  // namespace

StatusOr<std::unique_ptr<TokenSigner>> CreateRs256Signer(const std::string& key_path) {
  ASSIGN_OR_RETURN(Pkey key, LoadOrGenerate(key_path));
  return std::unique_ptr<TokenSigner>(std::make_unique<Rs256Signer>(std::move(key)));
}

}  // namespace ferry::api
