#include "ingress/oauth2_proxy.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/token_signer.h"
#include "web/csrf.h"
#include "web/redirect.h"
#include "web/sign_in.h"
#include "web/users.h"
#include "web/web_handler.h"

namespace ferry::ingress {
namespace {

using http::HttpRequest;
using http::HttpResponse;

// Value of cookie `name` in a Cookie header value.
std::string_view CookieIn(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      return part.substr(eq + 1);
    }
  }
  return {};
}

using web::SafeRedirect;

std::string SignInPage(const std::string& rd, const std::string& error, const std::string& note,
                       const std::string& csrf) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Sign In</title><style>body{font-family:system-ui,sans-serif;background:#f6f7f9;"
      "color:#1d2430}main{max-width:26rem;margin:3rem auto;background:#fff;padding:1rem 1.5rem;"
      "border:1px solid #d7dce3;border-radius:6px}label{display:block;margin:.6rem 0 .2rem;"
      "font-weight:600}input{width:100%;font:inherit;padding:.35rem;box-sizing:border-box}"
      "button{margin-top:1rem;font:inherit;padding:.4rem 1rem;background:#1a56c4;color:#fff;"
      "border:0;border-radius:4px}.error{color:#b3261e}.muted{color:#5b6573;font-size:.9rem}"
      ":focus-visible{outline:3px solid #1a56c4;outline-offset:2px}</style></head>"
      "<body><main id=\"main\"><h1>Sign in with Dex</h1>";
  if (!error.empty()) {
    html +=
        "<p class=\"error\" role=\"alert\" id=\"login-error\">" + web::HtmlEscape(error) + "</p>";
  }
  html +=
      "<form method=\"post\" action=\"/oauth2/sign_in\">"
      "<input type=\"hidden\" name=\"rd\" value=\"" +
      web::HtmlEscape(rd) + "\"><input type=\"hidden\" name=\"" + web::kCsrfField + "\" value=\"" +
      web::HtmlEscape(csrf) +
      "\"><label for=\"username\">Email</label>"
      "<input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" "
      "required autofocus><label for=\"password\">Password</label>"
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required>"
      "<button type=\"submit\" id=\"login-submit\">Sign in</button></form>" +
      note +
      "<p class=\"muted\">This is Kubeflow's login (the <code>istio-ingressgateway-oauth2-proxy"
      "</code> CUSTOM AuthorizationPolicy). Programs send <code>Authorization: Bearer $(kubectl "
      "create token default-editor -n NAMESPACE)</code> instead.</p></main></body></html>\n";
  return html;
}

}  // namespace

bool IsOauth2ApiRoute(std::string_view p) {
  return p.rfind("/api/", 0) == 0 || p.rfind("/apis/", 0) == 0 || p.rfind("/ml_metadata", 0) == 0;
}

struct Oauth2Proxy::Impl {
  struct Session {
    std::string email;
    std::string bearer;  // "Bearer <jwt>" (the Check answer's Authorization), or empty
    std::chrono::system_clock::time_point expires;
  };

  Oauth2ProxyOptions options;
  api::TokenSigner* signer = nullptr;
  Status init = OkStatus();
  std::shared_ptr<web::PasswordSignIn> sign_in;  // null when init failed
  std::unique_ptr<web::CsrfTokens> csrf;
  mutable std::mutex mu;
  // Immutable sessions shared with Check() callers: a check copies no session.
  mutable std::map<std::string, std::shared_ptr<const Session>, std::less<>> sessions;  // mu
  std::map<std::string, std::string> by_email;  // guarded by mu; SessionCookieFor
  struct Minted {
    std::string jwt;
    std::chrono::system_clock::time_point expires;
  };
  std::map<std::string, Minted> user_tokens;  // guarded by mu; UserToken

  // Dex's id_token claims; sub is the email (see the header).
  StatusOr<std::string> SignFor(const std::string& email,
                                std::chrono::system_clock::time_point now,
                                std::chrono::system_clock::time_point expires) const {
    auto secs = [](auto t) {
      return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    };
    nlohmann::json claims = {
        {"iss", options.issuer}, {"sub", email},           {"aud", options.audience},
        {"email", email},        {"email_verified", true}, {"name", email},
        {"iat", secs(now)},      {"nbf", secs(now)},       {"exp", secs(expires)}};
    return signer->Sign(claims);
  }

  // Looks up (and drops if expired) the session `id`.
  std::shared_ptr<const Session> Find(std::string_view id) const {
    if (id.empty()) return nullptr;
    std::lock_guard<std::mutex> lock(mu);
    auto it = sessions.find(id);
    if (it == sessions.end()) return nullptr;
    if (it->second->expires < std::chrono::system_clock::now()) {
      sessions.erase(it);
      return nullptr;
    }
    return it->second;
  }

  StatusOr<std::string> Create(const std::string& email) {
    auto now = std::chrono::system_clock::now();
    auto expires = now + options.session_ttl;
    std::string jwt;
    if (signer != nullptr) {
      ASSIGN_OR_RETURN(jwt, SignFor(email, now, expires));
    }
    std::string id = web::RandomToken();
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = sessions.begin(); it != sessions.end();) {
      it = it->second->expires < now ? sessions.erase(it) : std::next(it);
    }
    sessions[id] = std::make_shared<const Session>(
        Session{email, jwt.empty() ? std::string() : "Bearer " + jwt, expires});
    return id;
  }

  std::string Cookie(const std::string& value, int64_t max_age) const {
    std::string c = std::string(kOauth2Cookie) + "=" + value +
                    "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
    if (options.secure_cookie) c += "; Secure";
    return c;
  }

  std::string DefaultNote() const {
    if (!init.ok()) return "<p class=\"error\">" + web::HtmlEscape(init.message()) + "</p>";
    std::string passwd =
        web::HtmlEscape(web::PasswdCommand(sign_in->users_path(), web::kDefaultUser));
    if (sign_in->ShowDefaultPassword()) {
      return "<p class=\"muted\" id=\"default-user-note\">First start: the default user is <code>" +
             std::string(web::kDefaultUser) + "</code> with password <code>" +
             web::kDefaultPassword +
             "</code>, accepted from this machine only. Set a password: <code>" + passwd +
             "</code>.</p>";
    }
    if (sign_in->DefaultPasswordInUse()) {
      return "<p class=\"muted\" id=\"set-password-note\">Ferry listens beyond this machine, so "
             "the default user's well-known password is refused from other machines. Set a "
             "password: <code>" +
             passwd + "</code>.</p>";
    }
    return "";
  }

  // The sign-in page for a request whose CSRF cookie is `csrf_cookie`.
  HttpResponse Page(int status, std::string_view csrf_cookie, const std::string& rd,
                    const std::string& error) const {
    web::CsrfTokens::Form form = csrf->ForPage(csrf_cookie);
    HttpResponse r{
        status, "text/html; charset=utf-8", {}, SignInPage(rd, error, DefaultNote(), form.field)};
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                           "frame-ancestors 'none'");
    if (!form.set_cookie.empty()) r.headers.emplace_back("Set-Cookie", form.set_cookie);
    return r;
  }

  static HttpResponse Found(const std::string& location) {
    HttpResponse r = HttpResponse::Text(302, "Found: " + location + "\n");
    r.headers.emplace_back("Location", location);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  HttpResponse SignIn(const HttpRequest& req) {
    std::string rd = SafeRedirect(web::FormField(req.body, "rd"));
    std::string csrf_cookie = web::CookieValue(req, kOauth2CsrfCookie);
    if (!csrf->Valid(csrf_cookie, web::FormField(req.body, web::kCsrfField))) {
      return Page(403, csrf_cookie, rd,
                  "This sign-in was not sent from this site's own sign-in page (the form's CSRF "
                  "token is missing or wrong, or Ferry restarted since the page was loaded): "
                  "sign in again on this page.");
    }
    if (!init.ok()) return Page(401, csrf_cookie, rd, init.message());
    std::string email = web::FormField(req.body, "username");
    if (email.empty()) email = web::FormField(req.body, "email");
    web::PasswordSignIn::Result res =
        sign_in->Check(email, web::FormField(req.body, "password"), req.remote_address);
    switch (res.verdict) {
      case web::PasswordSignIn::Verdict::kThrottled: {
        HttpResponse r = Page(429, csrf_cookie, rd,
                              "Too many failed sign-ins for this account or from this address: "
                              "try again in " +
                                  std::to_string(res.retry_after) + " s.");
        r.headers.emplace_back("Retry-After", std::to_string(res.retry_after));
        return r;
      }
      case web::PasswordSignIn::Verdict::kDefaultRefused:
        return Page(403, csrf_cookie, rd,
                    "The well-known default password is accepted from the machine Ferry runs on "
                    "only. Set a password there with `" +
                        web::PasswdCommand(sign_in->users_path(), email) +
                        "` and sign in with it.");
      case web::PasswordSignIn::Verdict::kWrong:
        return Page(401, csrf_cookie, rd,
                    "Unknown email or wrong password: the users are in DATA_DIR/users of `ferry "
                    "up` (one `EMAIL SECRET` per line; `ferry passwd EMAIL` sets one).");
      case web::PasswordSignIn::Verdict::kOk:
        break;
    }
    auto id = Create(email);
    if (!id.ok()) {
      return Page(500, csrf_cookie, rd,
                  "signing the session token failed: " + id.status().message());
    }
    HttpResponse r = Found(rd);
    r.headers.emplace_back("Set-Cookie", Cookie(*id, options.session_ttl.count()));
    return r;
  }

  HttpResponse SignOut(const HttpRequest& req) {
    std::string id = web::CookieValue(req, kOauth2Cookie);
    if (!id.empty()) {
      std::lock_guard<std::mutex> lock(mu);
      sessions.erase(id);
    }
    std::string rd = web::FormField(req.query, "rd");
    HttpResponse r = Found(rd.empty() ? "/oauth2/sign_in" : SafeRedirect(rd));
    r.headers.emplace_back("Set-Cookie", Cookie("", 0));
    return r;
  }
};

Oauth2Proxy::Oauth2Proxy(Oauth2ProxyOptions options, api::TokenSigner* signer)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->signer = signer;
  std::string csrf_attributes = "Path=/oauth2; HttpOnly; SameSite=Lax";
  if (impl_->options.secure_cookie) csrf_attributes += "; Secure";
  impl_->csrf = std::make_unique<web::CsrfTokens>(kOauth2CsrfCookie, csrf_attributes);
  impl_->sign_in = impl_->options.sign_in;
  if (impl_->sign_in) return;
  if (impl_->options.users_file.empty()) {
    impl_->init = FailedPreconditionError(
        "the built-in oauth2-proxy has no users file: start it through `ferry up` "
        "(DATA_DIR/users)");
    return;
  }
  auto sign_in = web::PasswordSignIn::Open(impl_->options.users_file);
  if (sign_in.ok()) {
    impl_->sign_in = std::move(*sign_in);
  } else {
    impl_->init = sign_in.status();
  }
}

Oauth2Proxy::~Oauth2Proxy() = default;

const Status& Oauth2Proxy::init_status() const { return impl_->init; }

StatusOr<gateway::ExtAuthzResponse> Oauth2Proxy::Check(
    const gateway::ExtAuthzProvider& provider, const gateway::ExtAuthzCheckRequest& request) {
  std::string_view path = request.path;
  if (!provider.path_prefix.empty() && path.rfind(provider.path_prefix, 0) == 0) {
    path.remove_prefix(provider.path_prefix.size());
    if (path.empty() || path[0] != '/') path = request.path;
  }
  std::string_view cookie, csrf_cookie;  // views into `request`
  bool json_client = false;
  for (const auto& h : request.headers) {
    if (h.name == "cookie" && cookie.empty()) cookie = CookieIn(h.value, kOauth2Cookie);
    if (h.name == "cookie" && csrf_cookie.empty()) {
      csrf_cookie = CookieIn(h.value, kOauth2CsrfCookie);
    }
    if (h.name == "accept" && h.value.find("application/json") != std::string::npos) {
      json_client = true;
    }
  }
  gateway::ExtAuthzResponse r;
  auto session = impl_->Find(cookie);
  if (session || path.rfind("/dex/", 0) == 0) {  // skip_auth_routes ^/dex/
    r.status = 200;
    if (session) {
      if (!session->bearer.empty()) r.headers.push_back({"authorization", session->bearer});
      r.headers.push_back({"x-auth-request-email", session->email});
      r.headers.push_back({"x-auth-request-user", session->email});
    }
    return r;
  }
  if (json_client || IsOauth2ApiRoute(path)) {
    r.status = 401;
    r.headers.push_back({"content-type", "application/json"});
    r.body =
        "{\"error\": \"Unauthorized: sign in at /oauth2/sign_in, or send Authorization: Bearer "
        "$(kubectl create token default-editor -n NAMESPACE)\"}";
    return r;
  }
  // The sign-in page as the denied answer (the provider passes content-type
  // and set-cookie downstream, as Kubeflow configures it).
  web::CsrfTokens::Form form = impl_->csrf->ForPage(csrf_cookie);
  r.status = 403;
  r.headers.push_back({"content-type", "text/html; charset=utf-8"});
  if (!form.set_cookie.empty()) r.headers.push_back({"set-cookie", form.set_cookie});
  r.body = SignInPage(SafeRedirect(path), "", impl_->DefaultNote(), form.field);
  return r;
}

void Oauth2Proxy::HandleRoute(HttpRequest& req, http::Responder responder) {
  std::string_view p = req.path;
  Impl& impl = *impl_;
  std::string rd = SafeRedirect(web::FormField(req.query, "rd"));
  if (p == "/oauth2/sign_in") {
    if (req.method == "POST") return responder.Send(impl.SignIn(req));
    return responder.Send(impl.Page(200, web::CookieValue(req, kOauth2CsrfCookie), rd, ""));
  }
  if (p == "/oauth2/start" || p == "/oauth2/callback") {
    return responder.Send(Impl::Found("/oauth2/sign_in?rd=" + web::UrlEncode(rd)));
  }
  if (p == "/oauth2/sign_out") return responder.Send(impl.SignOut(req));
  std::string email;
  bool signed_in = SessionUser(req, &email);
  if (p == "/oauth2/auth") {  // nginx auth_request style: 202 or 401, no body
    HttpResponse r = HttpResponse::Text(signed_in ? 202 : 401, "");
    if (signed_in) r.headers.emplace_back("X-Auth-Request-Email", email);
    return responder.Send(std::move(r));
  }
  if (p == "/oauth2/userinfo") {
    if (!signed_in) {
      return responder.Send(
          HttpResponse::Json(401, R"j({"error":"not signed in (/oauth2/sign_in)"})j"));
    }
    nlohmann::json j = {{"user", email}, {"email", email}, {"preferredUsername", email}};
    return responder.Send(HttpResponse::Json(200, j.dump()));
  }
  responder.Send(HttpResponse::Text(
      404, "no such oauth2-proxy endpoint: " + std::string(p) +
               " (known: /oauth2/sign_in, /oauth2/start, /oauth2/sign_out, /oauth2/auth, "
               "/oauth2/userinfo)\n"));
}

bool Oauth2Proxy::SessionUser(const HttpRequest& request, std::string* email) const {
  auto s = impl_->Find(web::CookieValue(request, kOauth2Cookie));
  if (!s) return false;
  if (email != nullptr) *email = s->email;
  return true;
}

std::string Oauth2Proxy::SessionCookieFor(const std::string& email) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->by_email.find(email);
    if (it != impl_->by_email.end()) {
      auto s = impl_->sessions.find(it->second);
      if (s != impl_->sessions.end() &&
          s->second->expires > std::chrono::system_clock::now() + std::chrono::minutes(5)) {
        return std::string(kOauth2Cookie) + "=" + it->second;
      }
    }
  }
  auto id = impl_->Create(email);
  if (!id.ok()) return "";
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->by_email[email] = *id;
  return std::string(kOauth2Cookie) + "=" + *id;
}

std::string Oauth2Proxy::UserToken(const std::string& email) {
  if (impl_->signer == nullptr) return "";
  auto now = std::chrono::system_clock::now();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->user_tokens.find(email);
    if (it != impl_->user_tokens.end() && it->second.expires > now + std::chrono::minutes(5)) {
      return it->second.jwt;
    }
  }
  auto expires = now + std::chrono::minutes(10);
  auto jwt = impl_->SignFor(email, now, expires);
  if (!jwt.ok()) return "";
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto it = impl_->user_tokens.begin(); it != impl_->user_tokens.end();) {
    it = it->second.expires < now ? impl_->user_tokens.erase(it) : std::next(it);
  }
  impl_->user_tokens[email] = {*jwt, expires};
  return *jwt;
}

}  // namespace ferry::ingress
