#include "web/web_handler.h"

#include <cctype>
#include <memory>

#include "web/assets.h"
#include "web/csrf.h"
#include "web/gzip.h"
#include "web/redirect.h"
#include "web/sign_in.h"
#include "web/users.h"

namespace ferry::web {
namespace {

using http::HttpRequest;
using http::HttpResponse;

constexpr std::string_view kTryPrefix = "/ferry/try/";

HttpResponse Redirect(const std::string& location) {
  HttpResponse r = HttpResponse::Text(303, "see " + location + "\n");
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

void AddPageHeaders(HttpResponse* r) {
  r->headers.emplace_back("Content-Security-Policy",
                          "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string CookieValue(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      size_t eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return "";
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string FormField(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    size_t eq = part.find('=');
    std::string key = FormDecode(part.substr(0, eq));
    if (key == name) {
      return eq == std::string_view::npos ? "" : FormDecode(part.substr(eq + 1));
    }
  }
  return "";
}

struct WebHandler::Impl {
  WebOptions options;
  http::HttpHandler* external;
  http::HttpHandler* internal;
  Status init = OkStatus();
  std::shared_ptr<PasswordSignIn> sign_in;  // null when the users file is unusable (init)
  std::unique_ptr<CsrfTokens> csrf;
  mutable SessionTable sessions{std::chrono::hours(12)};

  std::string SessionCookie(const std::string& id, int max_age) const {
    std::string c = std::string(kSessionCookie) + "=" + id +
                    "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
    if (options.secure_cookie) c += "; Secure";
    return c;
  }

  // What the page says about Kubeflow's default user.
  std::string DefaultNote() const {
    if (!sign_in) return "";
    if (sign_in->ShowDefaultPassword()) {
      return "<p class=\"note\" id=\"default-user-note\">First start: the default user is <code>" +
             std::string(kDefaultUser) + "</code> with password <code>" + kDefaultPassword +
             "</code> (Kubeflow's Dex default), accepted from this machine only. Set a password: "
             "<code>" +
             HtmlEscape(PasswdCommand(sign_in->users_path(), kDefaultUser)) + "</code>.</p>";
    }
    if (sign_in->DefaultPasswordInUse()) {
      return "<p class=\"note\" id=\"set-password-note\">Ferry listens beyond this machine, so "
             "the default user's well-known password is refused from other machines. Set a "
             "password: <code>" +
             HtmlEscape(PasswdCommand(sign_in->users_path(), kDefaultUser)) + "</code>.</p>";
    }
    return "";
  }

  HttpResponse LoginPage(const HttpRequest& req, int status, const std::string& error,
                         const std::string& next) const {
    const Asset* page = FindAsset("/login.html");
    std::string html = page ? std::string(page->body) : "<p>login page missing from the build</p>";
    std::string note = DefaultNote();
    if (!init.ok()) {
      note += "<p class=\"error\">" + HtmlEscape(init.message()) + "</p>";
    }
    CsrfTokens::Form form = csrf->ForPage(CookieValue(req, csrf->cookie_name()));
    ReplaceAll(&html, "{{note}}", note);
    ReplaceAll(&html, "{{error}}",
               error.empty() ? ""
                             : "<p class=\"error\" role=\"alert\" id=\"login-error\">" +
                                   HtmlEscape(error) + "</p>");
    ReplaceAll(&html, "{{next}}", HtmlEscape(next));
    ReplaceAll(&html, "{{csrf}}", form.field);
    HttpResponse r{status, "text/html; charset=utf-8", {}, std::move(html)};
    r.headers.emplace_back("Cache-Control", "no-store");
    if (!form.set_cookie.empty()) r.headers.emplace_back("Set-Cookie", form.set_cookie);
    AddPageHeaders(&r);
    return r;
  }

  HttpResponse Throttled(const HttpRequest& req, int64_t wait, const std::string& next) const {
    HttpResponse r = LoginPage(req, 429,
                               "Too many failed sign-ins for this account or from this address: "
                               "try again in " +
                                   std::to_string(wait) + " s.",
                               next);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }

  HttpResponse Login(const HttpRequest& req) const {
    std::string next = SafeRedirect(FormField(req.body, "next"));
    if (!csrf->Valid(CookieValue(req, csrf->cookie_name()), FormField(req.body, kCsrfField))) {
      return LoginPage(req, 403,
                       "This sign-in was not sent from this dashboard's own sign-in page (the "
                       "form's CSRF token is missing or wrong, or Ferry restarted since the page "
                       "was loaded): sign in again on this page.",
                       next);
    }
    std::string token = FormField(req.body, "token");
    std::string email = FormField(req.body, "email");
    std::string user;
    bool admin = false;
    if (!token.empty()) {
      if (int64_t wait = sign_in ? sign_in->TokenRetryAfter(req.remote_address) : 0; wait > 0) {
        return Throttled(req, wait, next);
      }
      if (options.admin_token.empty() || !SecretEquals(token, options.admin_token)) {
        if (sign_in) sign_in->TokenFailed(req.remote_address);
        return LoginPage(req, 401,
                         "That is not the admin token: copy it from " + options.data_dir +
                             "/admin-token (or the token: line of the kubeconfig).",
                         next);
      }
      user = "admin";
      admin = true;
    } else {
      if (!sign_in) return LoginPage(req, 401, init.message(), next);
      PasswordSignIn::Result res =
          sign_in->Check(email, FormField(req.body, "password"), req.remote_address);
      switch (res.verdict) {
        case PasswordSignIn::Verdict::kThrottled:
          return Throttled(req, res.retry_after, next);
        case PasswordSignIn::Verdict::kDefaultRefused:
          return LoginPage(req, 403,
                           "The well-known default password is accepted from this machine only. "
                           "Set a password with `" +
                               PasswdCommand(sign_in->users_path(), email) +
                               "` and sign in with it.",
                           next);
        case PasswordSignIn::Verdict::kWrong:
          return LoginPage(req, 401,
                           "Unknown email or wrong password: check " + options.data_dir +
                               "/users, or sign in with the admin token.",
                           next);
        case PasswordSignIn::Verdict::kOk:
          break;
      }
      user = email;
    }
    HttpResponse r = Redirect(next);
    r.headers.emplace_back("Set-Cookie", SessionCookie(sessions.Create(user, admin), 12 * 3600));
    return r;
  }

  HttpResponse Logout(const HttpRequest& req) const {
    std::string id = CookieValue(req, kSessionCookie);
    if (!id.empty()) sessions.Remove(id);
    HttpResponse r = Redirect("/login");
    r.headers.emplace_back("Set-Cookie", SessionCookie("", 0));
    return r;
  }

  HttpResponse ServeAsset(const HttpRequest& req, const Asset& a) const {
    bool gz = !a.gzip.empty() && AcceptsGzip(req);
    const std::string& etag = gz ? a.gzip_etag : a.etag;
    if (req.Header("if-none-match") == etag) {
      HttpResponse r{304, std::string(a.content_type), {}, ""};
      r.headers.emplace_back("ETag", etag);
      if (!a.gzip.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
      return r;
    }
    HttpResponse r{200, std::string(a.content_type), {}, gz ? a.gzip : std::string(a.body)};
    if (gz) r.headers.emplace_back("Content-Encoding", "gzip");
    if (!a.gzip.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: cheap 304s, never stale
    AddPageHeaders(&r);
    return r;
  }

  // /login and /logout when another component owns sign-in.
  HttpResponse ExternalSignIn(const HttpRequest& req) const {
    if (req.path == "/logout") return Redirect(options.logout_url);
    std::string next = SafeRedirect(FormField(req.query, "next"));
    std::string user;
    if (options.session_lookup && options.session_lookup(req, &user)) return Redirect(next);
    return Redirect(options.login_url + "?rd=" + UrlEncode(next));
  }

  // Whether `request` has a live session: its user, and whether the session
  // was opened with the admin token.
  bool Session(const HttpRequest& request, std::string* user, bool* admin) const {
    *admin = false;
    if (options.session_lookup) return options.session_lookup(request, user);
    std::string id = CookieValue(request, kSessionCookie);
    return !id.empty() && sessions.Lookup(id, user, admin);
  }

  void Try(HttpRequest& req, const std::string& user, bool admin,
           http::Responder responder) const;
};

WebHandler::WebHandler(WebOptions options, http::HttpHandler* external,
                       http::HttpHandler* internal)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->external = external;
  impl_->internal = internal;
  std::string csrf_attributes = "Path=/login; HttpOnly; SameSite=Strict";
  if (impl_->options.secure_cookie) csrf_attributes += "; Secure";
  impl_->csrf = std::make_unique<CsrfTokens>(kLoginCsrfCookie, csrf_attributes);
  impl_->sign_in = impl_->options.sign_in;
  if (!impl_->sign_in) {
    auto sign_in = PasswordSignIn::Open(impl_->options.data_dir + "/users");
    if (sign_in.ok()) {
      impl_->sign_in = std::move(*sign_in);
    } else {
      impl_->init = sign_in.status();
    }
  }
}

WebHandler::~WebHandler() = default;

const Status& WebHandler::init_status() const { return impl_->init; }

bool WebHandler::SessionUser(const HttpRequest& request, std::string* user) const {
  if (impl_->options.session_lookup) return impl_->options.session_lookup(request, user);
  std::string id = CookieValue(request, kSessionCookie);
  return !id.empty() && impl_->sessions.Lookup(id, user);
}

std::string WebHandler::ApiCredential(const HttpRequest& request, bool* ok) const {
  std::string user;
  bool admin = false;
  *ok = impl_->Session(request, &user, &admin);
  if (!*ok) return "";
  if (admin) {
    return impl_->options.admin_token.empty() ? "" : "Bearer " + impl_->options.admin_token;
  }
  std::string token = impl_->options.user_token ? impl_->options.user_token(user) : "";
  return token.empty() ? "" : "Bearer " + token;
}

void WebHandler::Impl::Try(HttpRequest& req, const std::string& user, bool admin,
                           http::Responder responder) const {
  std::string_view rest = req.path.substr(kTryPrefix.size());
  size_t slash = rest.find('/');
  std::string_view which = rest.substr(0, slash);
  http::HttpHandler* target = which == "external"   ? external
                                : which == "internal" ? internal
                                                      : nullptr;
  if (target == nullptr || slash == std::string_view::npos) {
    return responder.Send(
        HttpResponse::Json(404, R"({"error":"use /ferry/try/{external|internal}/{HOST}/{PATH}"})"));
  }
  rest = rest.substr(slash + 1);
  size_t host_end = rest.find('/');
  std::string host(rest.substr(0, host_end));
  std::string new_target =
      "/" + std::string(host_end == std::string_view::npos ? "" : rest.substr(host_end + 1));
  if (!req.query.empty()) new_target += "?" + std::string(req.query);
  std::string token(req.Header("x-ferry-token"));
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto& h : req.headers) {
    // The dashboard's own credentials never reach a model.
    if (h.first == "cookie" || h.first == "host" || h.first == "authorization" ||
        h.first == "x-ferry-token") {
      continue;
    }
    headers.push_back(std::move(h));
  }
  headers.emplace_back("host", host);
  if (!token.empty()) {
    headers.emplace_back("authorization", "Bearer " + token);
  } else if (target == external && options.gateway_cookie && !admin) {
    // The user's own gateway session: the oauth2-proxy CUSTOM policy then
    // injects the user's JWT, as for a browser on the external URL. The
    // admin (token sign-in) is no gateway user: it pastes a token.
    std::string cookie = options.gateway_cookie(user);
    if (!cookie.empty()) headers.emplace_back("cookie", std::move(cookie));
  }
  req.headers = std::move(headers);
  req.target = std::move(new_target);
  http::SplitTarget(req.target, &req.path, &req.query);
  uint16_t port = target == external ? options.external_port : options.internal_port;
  if (port != 0) req.local_port = port;
  target->Handle(req, std::move(responder));
}

void WebHandler::Handle(HttpRequest& req, http::Responder responder) {
  std::string_view path = req.path;
  const Impl& impl = *impl_;
  if (!impl.options.login_url.empty() && (path == "/login" || path == "/logout")) {
    return responder.Send(impl.ExternalSignIn(req));
  }
  if (path == "/login") {
    if (req.method == "POST") return responder.Send(impl.Login(req));
    return responder.Send(impl.LoginPage(req, 200, "", SafeRedirect(FormField(req.query, "next"))));
  }
  if (path == "/logout") return responder.Send(impl.Logout(req));
  std::string user;
  bool admin = false;
  bool signed_in = impl.Session(req, &user, &admin);
  if (path.substr(0, kTryPrefix.size()) == kTryPrefix) {
    if (!signed_in) {
      return responder.Send(
          HttpResponse::Json(401, R"j({"error":"sign in to the dashboard first (/login)"})j"));
    }
    return impl.Try(req, user, admin, std::move(responder));
  }
  if (path == "/ferry/whoami") {
    if (!signed_in) return responder.Send(HttpResponse::Json(401, R"({"error":"not signed in"})"));
    std::string body = "{\"user\":\"";
    for (char c : user) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) continue;
      body += c;
    }
    body += impl.options.read_only ? "\",\"readOnly\":true}" : "\",\"readOnly\":false}";
    return responder.Send(HttpResponse::Json(200, body));
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return responder.Send(HttpResponse::Text(405, "the dashboard serves GET only here\n"));
  }
  if (path == "/" || path == "/index.html") {
    if (!signed_in) return responder.Send(Redirect("/login"));
    path = "/index.html";
  }
  if (path == "/login.html") path = "";  // the template is served via /login only
  const Asset* asset = path.empty() ? nullptr : FindAsset(path);
  if (asset == nullptr) {
    return responder.Send(HttpResponse::Text(
        404, "no such page: " + std::string(req.path) + "; the dashboard is at /\n"));
  }
  responder.Send(impl.ServeAsset(req, *asset));
}

}  // namespace ferry::web
