#include "web/csrf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "web/users.h"

namespace ferry::web {
namespace {

constexpr size_t kCookieChars = 64;  // RandomToken(): 32 bytes as hex

bool WellFormed(std::string_view cookie) {
  if (cookie.size() != kCookieChars) return false;
  for (char c : cookie) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

CsrfTokens::CsrfTokens(std::string cookie_name, std::string cookie_attributes)
    : cookie_name_(std::move(cookie_name)), attributes_(std::move(cookie_attributes)) {
  unsigned char raw[32];
  RAND_bytes(raw, sizeof(raw));
  key_.assign(reinterpret_cast<const char*>(raw), sizeof(raw));
}

std::string CsrfTokens::Sign(std::string_view cookie) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(cookie.data()), cookie.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

CsrfTokens::Form CsrfTokens::ForPage(std::string_view cookie) const {
  Form f;
  std::string value(cookie);
  if (!WellFormed(value)) {
    value = RandomToken();
    f.set_cookie = cookie_name_ + "=" + value + "; " + attributes_;
  }
  f.field = Sign(value);
  return f;
}

bool CsrfTokens::Valid(std::string_view cookie, std::string_view field) const {
  return WellFormed(cookie) && SecretEquals(Sign(cookie), std::string(field));
}

}  // namespace ferry::web
