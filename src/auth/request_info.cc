#include "auth/request_info.h"

#include <algorithm>

namespace ferry::auth {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string VerbForMethod(std::string_view method) {
  if (method == "POST") return "create";
  if (method == "GET" || method == "HEAD") return "get";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

}  // namespace

StatusOr<std::string> DecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out.push_back(raw[i]);
      continue;
    }
    int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
    int lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
    if (i + 2 >= raw.size() || hi < 0 || lo < 0) {
      std::string bad(raw.substr(i, 3));
      return InvalidArgumentError("invalid URL escape \"" + bad + "\"");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string FieldSelectorRequires(std::string_view selector, std::string_view field) {
  // Split and trim exactly as the store's FieldSelector does (commas inside
  // parentheses do not split), so the name authorized is the name filtered on.
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= selector.size(); ++i) {
    if (i < selector.size() && (selector[i] != ',' || depth != 0)) {
      if (selector[i] == '(') ++depth;
      if (selector[i] == ')') --depth;
      continue;
    }
    std::string_view term = trim(selector.substr(start, i - start));
    start = i + 1;
    size_t eq = term.find('=');
    if (eq == std::string_view::npos || eq == 0 || term[eq - 1] == '!') continue;
    std::string_view value = term.substr(eq + 1);
    if (!value.empty() && value.front() == '=') value.remove_prefix(1);
    if (trim(term.substr(0, eq)) == field) return std::string(trim(value));
  }
  return "";
}

std::vector<std::string> PathSegmentNameErrors(std::string_view name) {
  if (name == ".") return {"may not be '.'"};
  if (name == "..") return {"may not be '..'"};
  std::vector<std::string> out;
  if (name.find('/') != std::string_view::npos) out.push_back("may not contain '/'");
  if (name.find('%') != std::string_view::npos) out.push_back("may not contain '%'");
  return out;
}

RequestInfo ParseRequestInfo(std::string_view method, std::string_view path,
                             const std::map<std::string, std::string, std::less<>>& query) {
  RequestInfo info;
  info.path = std::string(path);
  info.verb = Lower(method);
  std::vector<std::string> parts = Segments(path);
  size_t i = 0;
  if (parts.size() < 3 || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = parts[i++];
  if (info.api_prefix == "apis") {
    if (parts.size() < 4) return info;
    info.api_group = parts[i++];
  }
  info.resource_request = true;
  info.api_version = parts[i++];
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest[0] == "watch" || rest[0] == "proxy") {
    if (rest.size() < 2) return info;  // Kubernetes: "unable to determine kind and namespace"
    info.verb = rest[0];
    info.verb_in_path = true;
    rest.erase(rest.begin());
  } else {
    info.verb = VerbForMethod(method);
  }
  if (rest[0] == "namespaces") {
    if (rest.size() > 1) {
      info.ns = rest[1];
      // namespaces/NS/status and /finalize are subresources of the Namespace itself.
      if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
        rest.erase(rest.begin(), rest.begin() + 2);
        info.in_namespace_path = true;
      }
    }
  }
  info.parts = rest;
  if (rest.size() >= 3 && info.verb != "proxy") info.subresource = rest[2];
  if (rest.size() >= 2) info.name = rest[1];
  info.resource = rest[0];
  if (info.name.empty() && info.verb == "get") {
    auto watch = query.find("watch");
    bool watching = watch != query.end() && Lower(watch->second) != "false" && watch->second != "0";
    info.verb = watching ? "watch" : "list";
    auto fs = query.find("fieldSelector");
    if (fs != query.end()) {
      std::string name = FieldSelectorRequires(fs->second, "metadata.name");
      if (!name.empty() && PathSegmentNameErrors(name).empty()) info.name = name;
    }
  }
  if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
  return info;
}

}  // namespace ferry::auth
