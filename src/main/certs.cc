#include "main/certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace ferry::main {
namespace {

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

PKeyPtr NewKey() { return PKeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

X509Ptr MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                 long serial, bool ca, const std::string& san) {
  X509Ptr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ferry"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* iss = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
  if (ca) {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(cert.get(), iss, NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), iss, NID_subject_alt_name, san);
  }
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

Status WriteFile(const std::string& path, const std::string& data, bool secret) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) return InternalError("cannot write " + path);
  out.close();
  if (secret) ::chmod(path.c_str(), 0600);
  return OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsIp(const std::string& host) {
  return !host.empty() && host.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
         host.find_first_of(".:") != std::string::npos;
}

}  // namespace

StatusOr<ServingCerts> EnsureServingCerts(const std::string& dir, const std::string& extra_host) {
  namespace fs = std::filesystem;
  ServingCerts out;
  std::string ca_crt = dir + "/ca.crt", ca_key = dir + "/ca.key";
  out.cert_file = dir + "/serving.crt";
  out.key_file = dir + "/serving.key";
  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  if (!extra_host.empty() && extra_host != "127.0.0.1" && extra_host != "0.0.0.0") {
    san += (IsIp(extra_host) ? ",IP:" : ",DNS:") + extra_host;
  }
  std::string san_file = dir + "/serving.san";
  bool fresh = !fs::exists(ca_crt) || !fs::exists(ca_key) || !fs::exists(out.cert_file) ||
               !fs::exists(out.key_file) || ReadFile(san_file) != san;
  if (fresh) {
    PKeyPtr ca = fs::exists(ca_key) ? PKeyPtr(nullptr, EVP_PKEY_free) : NewKey();
    X509Ptr ca_cert(nullptr, X509_free);
    if (!ca) {
      // Keep an existing CA (kubeconfigs already trust it); only re-issue the leaf.
      FILE* f = std::fopen(ca_key.c_str(), "r");
      if (f) ca.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)), std::fclose(f);
      FILE* c = std::fopen(ca_crt.c_str(), "r");
      if (c) ca_cert.reset(PEM_read_X509(c, nullptr, nullptr, nullptr)), std::fclose(c);
    }
    if (!ca || !ca_cert) {
      ca = NewKey();
      ca_cert = MakeCert(ca.get(), "ferry-ca", nullptr, nullptr, 1, true, "");
      RETURN_IF_ERROR(WriteFile(ca_key, KeyPem(ca.get()), true));
      RETURN_IF_ERROR(WriteFile(ca_crt, CertPem(ca_cert.get()), false));
    }
    PKeyPtr leaf = NewKey();
    X509Ptr leaf_cert = MakeCert(leaf.get(), "ferry-apiserver", ca_cert.get(), ca.get(),
                                 static_cast<long>(std::time(nullptr)), false, san);
    RETURN_IF_ERROR(WriteFile(out.key_file, KeyPem(leaf.get()), true));
    RETURN_IF_ERROR(WriteFile(out.cert_file, CertPem(leaf_cert.get()), false));
    RETURN_IF_ERROR(WriteFile(san_file, san, false));
  }
  out.ca_pem = ReadFile(ca_crt);
  if (out.ca_pem.empty()) return InternalError("cannot read " + ca_crt);
  return out;
}

}  // namespace ferry::main
