#include "http/http_types.h"

namespace ferry::http {

namespace {

// Re-points a view that pointed into `from` at the same bytes of `to`.
std::string_view Rebase(std::string_view v, std::string_view from, std::string_view to) {
  if (v.data() >= from.data() && v.data() + v.size() <= from.data() + from.size()) {
    return to.substr(static_cast<size_t>(v.data() - from.data()), v.size());
  }
  return v;  // points at a literal (e.g. "/"), still valid
}

}  // namespace

HttpRequest::HttpRequest(const HttpRequest& o) { *this = o; }

// Members moved in place (not default-constructed, then assigned): a request is moved from the
// connection to its handler on every call.
HttpRequest::HttpRequest(HttpRequest&& o) noexcept
    : method(std::move(o.method)),
      headers(std::move(o.headers)),
      body(std::move(o.body)),
      remote_address(std::move(o.remote_address)),
      local_port(o.local_port),
      keep_alive(o.keep_alive),
      received(o.received) {
  // Re-pointed by offset before the move: a short target lives inside `o` itself.
  const std::string_view old_target = o.target;
  target = std::move(o.target);
  path = Rebase(o.path, old_target, target);
  query = Rebase(o.query, old_target, target);
}

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  path = {};
  query = {};
  headers.clear();
  body.clear();
  remote_address.clear();
  local_port = 0;
  keep_alive = true;
  received = {};
}

HttpRequest& HttpRequest::operator=(const HttpRequest& o) {
  if (this == &o) return *this;
  method = o.method;
  target = o.target;
  path = Rebase(o.path, o.target, target);
  query = Rebase(o.query, o.target, target);
  headers = o.headers;
  body = o.body;
  remote_address = o.remote_address;
  local_port = o.local_port;
  keep_alive = o.keep_alive;
  received = o.received;
  return *this;
}

HttpRequest& HttpRequest::operator=(HttpRequest&& o) noexcept {
  if (this == &o) return *this;
  size_t path_off = o.path.data() - o.target.data();
  size_t query_off = o.query.data() - o.target.data();
  bool path_in = !o.path.empty() && o.path.data() >= o.target.data() &&
                 path_off + o.path.size() <= o.target.size();
  bool query_in = !o.query.empty() && o.query.data() >= o.target.data() &&
                  query_off + o.query.size() <= o.target.size();
  method = std::move(o.method);
  target = std::move(o.target);
  path = path_in ? std::string_view(target).substr(path_off, o.path.size()) : o.path;
  query = query_in ? std::string_view(target).substr(query_off, o.query.size()) : o.query;
  headers = std::move(o.headers);
  body = std::move(o.body);
  remote_address = std::move(o.remote_address);
  local_port = o.local_port;
  keep_alive = o.keep_alive;
  received = o.received;
  return *this;
}

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

bool HttpRequest::HasHeader(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return true;
  }
  return false;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  std::string_view t = target;
  // Absolute form: scheme "://" authority path
  if (!t.empty() && t[0] != '/') {
    size_t scheme = t.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = t.find('/', scheme + 3);
      t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
    }
  }
  size_t q = t.find('?');
  if (q == std::string_view::npos) {
    *path = t;
    *query = {};
  } else {
    *path = t.substr(0, q);
    *query = t.substr(q + 1);
  }
}

}  // namespace ferry::http
