// WebHandler: the Models dashboard of `ferry up` (web/*, embedded in the
// binary), its sign-in (static users from DATA_DIR/users or the admin token;
// a CSRF token on the form, failures throttled, the default password only
// from this machine — see sign_in.h; an HttpOnly SameSite=Strict session
// cookie) and the "Try it" proxy that
// hands a request to the external or internal gateway handler in-process.
// A second instance serves the same dashboard on the external gateway, where
// the built-in oauth2-proxy owns sign-in (WebOptions::session_lookup).
//
// Who calls it: `ferry up`'s FrontHandler sends every non-API path here and
// asks ApiCredential() what an API call with a session cookie carries: the
// signed-in user's own short-lived token (WebOptions::user_token), so the API
// authenticates and authorizes the user; the admin token only for a session
// opened with that token. Threads: Handle runs on listener I/O
// threads; sessions are guarded inside. The gateway handlers are borrowed and
// must outlive this object.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/http_types.h"

namespace ferry::web {

class PasswordSignIn;

struct WebOptions {
  std::string data_dir;       // holds `users` (created on first start)
  std::string admin_token;    // "sign in with the admin token"; empty: no token sign-in
  bool secure_cookie = true;  // add `Secure` to the session cookie (HTTPS listener)
  // Destination ports the gateways see for proxied "Try it" calls (0 = keep the
  // dashboard listener's port); policies matching ports see these.
  uint16_t external_port = 0;
  uint16_t internal_port = 0;
  // Set when another component owns sign-in (the external gateway's built-in
  // oauth2-proxy): sessions come from session_lookup; /login and /logout
  // redirect to login_url?rd=NEXT and logout_url.
  std::function<bool(const http::HttpRequest&, std::string* user)> session_lookup;
  std::string login_url;
  std::string logout_url;
  // Cookie ("name=value") carrying `user`'s gateway session (oauth2-proxy),
  // added to Try-it calls to the external gateway that have no token, so
  // they go through the gateway as that user. Unset or "" = none.
  std::function<std::string(const std::string& user)> gateway_cookie;
  // The password gate shared with the oauth2-proxy (`ferry up`); null: the
  // handler opens DATA_DIR/users itself.
  std::shared_ptr<PasswordSignIn> sign_in;
  // A short-lived API bearer token for `user` (an OIDC token as the
  // oauth2-proxy issues it: the API authenticates it as that user), or empty
  // when none can be made. Unset: signed-in users' API calls carry nothing
  // (anonymous).
  std::function<std::string(const std::string& user)> user_token;
  // The dashboard only reads (external gateway): whoami says so, so the UI
  // disables its write controls (FrontHandler enforces it).
  bool read_only = false;
};

inline constexpr char kSessionCookie[] = "ferry_session";
inline constexpr char kLoginCsrfCookie[] = "ferry_csrf";

class WebHandler : public http::HttpHandler {
 public:
  // Reads (or creates) DATA_DIR/users; on failure the handler still serves
  // the admin-token sign-in and logs nothing: check init_status().
  WebHandler(WebOptions options, http::HttpHandler* external, http::HttpHandler* internal);
  ~WebHandler() override;

  void Handle(http::HttpRequest& request, http::Responder responder) override;

  // True (and the signed-in user) when `request` carries a live session cookie.
  bool SessionUser(const http::HttpRequest& request, std::string* user) const;

  // The Authorization value ("Bearer ...") the dashboard's API calls carry
  // for the session of `request`: the user's own token, or the admin token
  // for a session opened with it. Empty with ok=false when there is no live
  // session; empty with ok=true when the user's token cannot be made.
  std::string ApiCredential(const http::HttpRequest& request, bool* ok) const;

  const Status& init_status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The value of cookie `name` in the request's Cookie headers, or empty.
std::string CookieValue(const http::HttpRequest& request, std::string_view name);
// Decodes one application/x-www-form-urlencoded key or value ('+' is a space).
std::string FormDecode(std::string_view s);
// application/x-www-form-urlencoded field `name` of `body`, decoded.
std::string FormField(std::string_view body, std::string_view name);
// Text for HTML element content and attribute values (&, <, >, quotes).
std::string HtmlEscape(std::string_view s);
// Percent-encodes all but RFC 3986 unreserved characters and '/' (a path or `rd` value).
std::string UrlEncode(std::string_view s);

}  // namespace ferry::web
