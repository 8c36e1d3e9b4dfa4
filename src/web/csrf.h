// CSRF tokens for the sign-in forms (the dashboard's /login and the
// oauth2-proxy's /oauth2/sign_in): a signed double-submit cookie. The page
// sets a random cookie and puts HMAC-SHA256(key, cookie) in a hidden form
// field; a POST must carry both, and they must match. Another site's form
// cannot read the field; a cookie planted from elsewhere (a sibling host over
// plain HTTP) has no matching field without the key, which is random per
// process (a restart asks the user to reload the page).
//
// Immutable after construction; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ferry::web {

// The hidden form field that carries the token.
inline constexpr char kCsrfField[] = "csrf";

class CsrfTokens {
 public:
  // `cookie_name` and the attributes appended to it (e.g. "Path=/login;
  // HttpOnly; SameSite=Strict").
  CsrfTokens(std::string cookie_name, std::string cookie_attributes);

  struct Form {
    std::string field;       // value of the hidden kCsrfField input
    std::string set_cookie;  // Set-Cookie value to send, or empty (the cookie is reused)
  };
  // The token for a page answering a request whose cookie `cookie_name()`
  // holds `cookie` (empty when absent): the cookie is reused when well formed.
  Form ForPage(std::string_view cookie) const;

  // True when `field` is the token for `cookie`.
  bool Valid(std::string_view cookie, std::string_view field) const;

  const std::string& cookie_name() const { return cookie_name_; }

 private:
  std::string Sign(std::string_view cookie) const;

  std::string cookie_name_;
  std::string attributes_;
  std::string key_;
};

}  // namespace ferry::web
