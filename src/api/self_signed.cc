#include "api/self_signed.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace ferry::api {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

bool IsIp(const std::string& h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool AddExt(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool WritePem(const std::string& path, bool is_key, EVP_PKEY* key, X509* cert) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  if (is_key) ::chmod(tmp.c_str(), 0600);
  bool ok = is_key ? PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1
                   : PEM_write_X509(f, cert) == 1;
  ok = std::fclose(f) == 0 && ok;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

Status EnsureSelfSignedCert(const std::string& cert_path, const std::string& key_path,
                            const std::vector<std::string>& hosts, int days) {
  if (std::filesystem::exists(cert_path) && std::filesystem::exists(key_path)) return OkStatus();
  if (hosts.empty()) return InvalidArgumentError("a serving certificate needs at least one host");
  std::unique_ptr<EVP_PKEY, Free> key(EVP_RSA_gen(2048));
  std::unique_ptr<X509, Free> cert(X509_new());
  if (!key || !cert) return InternalError("cannot create the API server certificate (OpenSSL)");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hosts[0].c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san;
  for (const std::string& h : hosts)
    san += (san.empty() ? "" : ",") + std::string(IsIp(h) ? "IP:" : "DNS:") + h;
  bool ok =
      AddExt(cert.get(), NID_subject_alt_name, san) &&
      AddExt(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
      AddExt(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return InternalError("cannot sign the API server certificate (OpenSSL)");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(cert_path).parent_path(), ec);
  if (!WritePem(key_path, true, key.get(), nullptr) ||
      !WritePem(cert_path, false, nullptr, cert.get())) {
    return UnavailableError("cannot write the API server certificate to " + cert_path + " / " +
                            key_path + "; check the data directory is writable");
  }
  return OkStatus();
}

}  // namespace ferry::api
