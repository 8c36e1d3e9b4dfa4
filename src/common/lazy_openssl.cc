// The OpenSSL functions Ferry calls, forwarded to libcrypto.so.3 and
// libssl.so.3 opened on first use (common/lazy_library.h): `ferry serve` of a
// model on disk never calls them, and mapping and relocating the two libraries
// cost every start of the binary about a quarter of its time before main
// (bench/RESULTS.md, "Start-up"). Users: TLS of the HTTP listener (Boost.Asio's
// ssl stream), JWT and JWKS checks, SigV4 and MD5 of storage, the certificates,
// tokens and password hashes of `ferry up`. Targets that call OpenSSL link
// ferry_openssl, not OpenSSL::SSL / OpenSSL::Crypto. A function newly called
// needs its line here (the link fails with an undefined reference otherwise);
// the prototypes are OpenSSL 3's, checked by the compiler against its headers.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdarg>

#include "common/lazy_library.h"

namespace {
// Debian's libssl3 holds both libraries; libssl.so.3 loads libcrypto.so.3 as
// its dependency, so both handles name the one copy of libcrypto.
constexpr ferry::LazyLibrary kCrypto("libcrypto.so.3", "libssl3");
constexpr ferry::LazyLibrary kSsl("libssl.so.3", "libssl3");
}  // namespace

// libcrypto.
FERRY_LAZY_FORWARD(kCrypto, int, ASN1_INTEGER_set, (ASN1_INTEGER * a0, long a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, long, BIO_ctrl, (BIO * a0, int a1, long a2, void* a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, size_t, BIO_ctrl_pending, (BIO * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, BIO_free, (BIO * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, BIO*, BIO_new, (const BIO_METHOD* a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, BIO_new_bio_pair, (BIO** a0, size_t a1, BIO** a2, size_t a3),
                   (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, int, BIO_read, (BIO * a0, void* a1, int a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, const BIO_METHOD*, BIO_s_mem, (void), ())
FERRY_LAZY_FORWARD(kCrypto, int, BIO_write, (BIO * a0, const void* a1, int a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, BIGNUM*, BN_bin2bn, (const unsigned char* a0, int a1, BIGNUM* a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, BN_bn2bin, (const BIGNUM* a0, unsigned char* a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, void, BN_free, (BIGNUM * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, BN_num_bits, (const BIGNUM* a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, void, CRYPTO_free, (void* a0, const char* a1, int a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, CRYPTO_memcmp, (const void* a0, const void* a1, size_t a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, void, ECDSA_SIG_free, (ECDSA_SIG * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, ECDSA_SIG*, ECDSA_SIG_new, (void), ())
FERRY_LAZY_FORWARD(kCrypto, int, ECDSA_SIG_set0, (ECDSA_SIG * a0, BIGNUM* a1, BIGNUM* a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, void, ERR_clear_error, (void), ())
FERRY_LAZY_FORWARD(kCrypto, unsigned long, ERR_get_error, (void), ())
FERRY_LAZY_FORWARD(kCrypto, const char*, ERR_reason_error_string, (unsigned long a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_Digest,
                   (const void* a0, size_t a1, unsigned char* a2, unsigned int* a3,
                    const EVP_MD* a4, ENGINE* a5),
                   (a0, a1, a2, a3, a4, a5))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestFinal_ex,
                   (EVP_MD_CTX * a0, unsigned char* a1, unsigned int* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestInit_ex, (EVP_MD_CTX * a0, const EVP_MD* a1, ENGINE* a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestSign,
                   (EVP_MD_CTX * a0, unsigned char* a1, size_t* a2, const unsigned char* a3,
                    size_t a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestSignInit,
                   (EVP_MD_CTX * a0, EVP_PKEY_CTX** a1, const EVP_MD* a2, ENGINE* a3, EVP_PKEY* a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestUpdate, (EVP_MD_CTX * a0, const void* a1, size_t a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestVerify,
                   (EVP_MD_CTX * a0, const unsigned char* a1, size_t a2, const unsigned char* a3,
                    size_t a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_DigestVerifyInit,
                   (EVP_MD_CTX * a0, EVP_PKEY_CTX** a1, const EVP_MD* a2, ENGINE* a3, EVP_PKEY* a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kCrypto, void, EVP_MD_CTX_free, (EVP_MD_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, EVP_MD_CTX*, EVP_MD_CTX_new, (void), ())
FERRY_LAZY_FORWARD(kCrypto, void, EVP_PKEY_CTX_free, (EVP_PKEY_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, EVP_PKEY_CTX*, EVP_PKEY_CTX_new_from_name,
                   (OSSL_LIB_CTX * a0, const char* a1, const char* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_PKEY_CTX_set_rsa_padding, (EVP_PKEY_CTX * a0, int a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_PKEY_CTX_set_rsa_pss_saltlen, (EVP_PKEY_CTX * a0, int a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, void, EVP_PKEY_free, (EVP_PKEY * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_PKEY_fromdata,
                   (EVP_PKEY_CTX * a0, EVP_PKEY** a1, int a2, OSSL_PARAM a3[]), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_PKEY_fromdata_init, (EVP_PKEY_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, EVP_PKEY_get_bn_param,
                   (const EVP_PKEY* a0, const char* a1, BIGNUM** a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, EVP_PKEY*, EVP_PKEY_new_raw_public_key,
                   (int a0, ENGINE* a1, const unsigned char* a2, size_t a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, const EVP_MD*, EVP_md5, (void), ())
FERRY_LAZY_FORWARD(kCrypto, const EVP_MD*, EVP_sha256, (void), ())
FERRY_LAZY_FORWARD(kCrypto, const EVP_MD*, EVP_sha384, (void), ())
FERRY_LAZY_FORWARD(kCrypto, const EVP_MD*, EVP_sha512, (void), ())
FERRY_LAZY_FORWARD(kCrypto, unsigned char*, HMAC,
                   (const EVP_MD* a0, const void* a1, int a2, const unsigned char* a3, size_t a4,
                    unsigned char* a5, unsigned int* a6),
                   (a0, a1, a2, a3, a4, a5, a6))
FERRY_LAZY_FORWARD(kCrypto, void, OSSL_PARAM_BLD_free, (OSSL_PARAM_BLD * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, OSSL_PARAM_BLD*, OSSL_PARAM_BLD_new, (void), ())
FERRY_LAZY_FORWARD(kCrypto, int, OSSL_PARAM_BLD_push_BN,
                   (OSSL_PARAM_BLD * a0, const char* a1, const BIGNUM* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, OSSL_PARAM_BLD_push_octet_string,
                   (OSSL_PARAM_BLD * a0, const char* a1, const void* a2, size_t a3),
                   (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, int, OSSL_PARAM_BLD_push_utf8_string,
                   (OSSL_PARAM_BLD * a0, const char* a1, const char* a2, size_t a3),
                   (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, OSSL_PARAM*, OSSL_PARAM_BLD_to_param, (OSSL_PARAM_BLD * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, void, OSSL_PARAM_free, (OSSL_PARAM * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, EVP_PKEY*, PEM_read_PrivateKey,
                   (FILE * a0, EVP_PKEY** a1, pem_password_cb* a2, void* a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, X509*, PEM_read_X509,
                   (FILE * a0, X509** a1, pem_password_cb* a2, void* a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, int, PEM_write_PrivateKey,
                   (FILE * a0, const EVP_PKEY* a1, const EVP_CIPHER* a2, const unsigned char* a3,
                    int a4, pem_password_cb* a5, void* a6),
                   (a0, a1, a2, a3, a4, a5, a6))
FERRY_LAZY_FORWARD(kCrypto, int, PEM_write_bio_PrivateKey,
                   (BIO * a0, const EVP_PKEY* a1, const EVP_CIPHER* a2, const unsigned char* a3,
                    int a4, pem_password_cb* a5, void* a6),
                   (a0, a1, a2, a3, a4, a5, a6))
FERRY_LAZY_FORWARD(kCrypto, int, PEM_write_bio_X509, (BIO * a0, const X509* a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, PKCS5_PBKDF2_HMAC,
                   (const char* a0, int a1, const unsigned char* a2, int a3, int a4,
                    const EVP_MD* a5, int a6, unsigned char* a7),
                   (a0, a1, a2, a3, a4, a5, a6, a7))
FERRY_LAZY_FORWARD(kCrypto, int, RAND_bytes, (unsigned char* a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, unsigned char*, SHA256,
                   (const unsigned char* a0, size_t a1, unsigned char* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, X509_EXTENSION*, X509V3_EXT_conf_nid,
                   (struct lhash_st_CONF_VALUE * a0, X509V3_CTX* a1, int a2, const char* a3),
                   (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kCrypto, void, X509V3_set_ctx,
                   (X509V3_CTX * a0, X509* a1, X509* a2, X509_REQ* a3, X509_CRL* a4, int a5),
                   (a0, a1, a2, a3, a4, a5))
FERRY_LAZY_FORWARD(kCrypto, void, X509_EXTENSION_free, (X509_EXTENSION * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, int, X509_NAME_add_entry_by_txt,
                   (X509_NAME * a0, const char* a1, int a2, const unsigned char* a3, int a4, int a5,
                    int a6),
                   (a0, a1, a2, a3, a4, a5, a6))
FERRY_LAZY_FORWARD(kCrypto, int, X509_add_ext, (X509 * a0, X509_EXTENSION* a1, int a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, void, X509_free, (X509 * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, ASN1_INTEGER*, X509_get_serialNumber, (X509 * a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, X509_NAME*, X509_get_subject_name, (const X509* a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, ASN1_TIME*, X509_getm_notAfter, (const X509* a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, ASN1_TIME*, X509_getm_notBefore, (const X509* a0), (a0))
FERRY_LAZY_FORWARD(kCrypto, ASN1_TIME*, X509_gmtime_adj, (ASN1_TIME * a0, long a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, X509*, X509_new, (void), ())
FERRY_LAZY_FORWARD(kCrypto, int, X509_set_issuer_name, (X509 * a0, const X509_NAME* a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, X509_set_pubkey, (X509 * a0, EVP_PKEY* a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, X509_set_version, (X509 * a0, long a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, X509_sign, (X509 * a0, EVP_PKEY* a1, const EVP_MD* a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kCrypto, int, i2d_ECDSA_SIG, (const ECDSA_SIG* a0, unsigned char** a1), (a0, a1))
FERRY_LAZY_FORWARD(kCrypto, int, i2d_PUBKEY, (const EVP_PKEY* a0, unsigned char** a1), (a0, a1))

// EVP_PKEY_Q_keygen(ctx, propq, type, ...) takes one value after the type for
// "RSA" (size_t bits) and "EC" (const char* curve), none for the others; it is
// forwarded as the pointer-sized integer it arrived in (x86-64 and AArch64
// SysV: one integer register or stack slot), which the callee reads only when
// the type has one.
extern "C" EVP_PKEY* EVP_PKEY_Q_keygen(OSSL_LIB_CTX* ctx, const char* propq, const char* type,
                                       ...) {
  using Fn = EVP_PKEY* (*)(OSSL_LIB_CTX*, const char*, const char*, ...);
  static const auto real = reinterpret_cast<Fn>(kCrypto.Resolve("EVP_PKEY_Q_keygen"));
  va_list ap;
  va_start(ap, type);
  void* value = va_arg(ap, void*);
  va_end(ap);
  return real(ctx, propq, type, value);
}

// libssl.
FERRY_LAZY_FORWARD(kSsl, long, SSL_CTX_ctrl, (SSL_CTX * a0, int a1, long a2, void* a3),
                   (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kSsl, void, SSL_CTX_free, (SSL_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, void*, SSL_CTX_get_default_passwd_cb_userdata, (SSL_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, void*, SSL_CTX_get_ex_data, (const SSL_CTX* a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kSsl, SSL_CTX*, SSL_CTX_new, (const SSL_METHOD* a0), (a0))
FERRY_LAZY_FORWARD(kSsl, void, SSL_CTX_set_alpn_select_cb,
                   (SSL_CTX * a0, SSL_CTX_alpn_select_cb_func a1, void* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, void, SSL_CTX_set_default_passwd_cb_userdata, (SSL_CTX * a0, void* a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kSsl, int, SSL_CTX_set_ex_data, (SSL_CTX * a0, int a1, void* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, uint64_t, SSL_CTX_set_options, (SSL_CTX * a0, uint64_t a1), (a0, a1))
FERRY_LAZY_FORWARD(kSsl, int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * a0, const char* a1, int a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * a0, const char* a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kSsl, int, SSL_accept, (SSL * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, int, SSL_connect, (SSL * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, long, SSL_ctrl, (SSL * a0, int a1, long a2, void* a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kSsl, void, SSL_free, (SSL * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, int, SSL_get_error, (const SSL* a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kSsl, void*, SSL_get_ex_data, (const SSL* a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kSsl, int, SSL_get_shutdown, (const SSL* a0), (a0))
FERRY_LAZY_FORWARD(kSsl, SSL*, SSL_new, (SSL_CTX * a0), (a0))
FERRY_LAZY_FORWARD(kSsl, int, SSL_read, (SSL * a0, void* a1, int a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, int, SSL_select_next_proto,
                   (unsigned char** a0, unsigned char* a1, const unsigned char* a2, unsigned int a3,
                    const unsigned char* a4, unsigned int a5),
                   (a0, a1, a2, a3, a4, a5))
FERRY_LAZY_FORWARD(kSsl, void, SSL_set_bio, (SSL * a0, BIO* a1, BIO* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, int, SSL_set_ex_data, (SSL * a0, int a1, void* a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, int, SSL_write, (SSL * a0, const void* a1, int a2), (a0, a1, a2))
FERRY_LAZY_FORWARD(kSsl, const SSL_METHOD*, TLS_client_method, (void), ())
FERRY_LAZY_FORWARD(kSsl, const SSL_METHOD*, TLS_method, (void), ())
FERRY_LAZY_FORWARD(kSsl, const SSL_METHOD*, TLS_server_method, (void), ())
