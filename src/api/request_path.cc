#include "api/request_path.h"

#include <vector>

namespace ferry::api {
namespace {

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(s[i + 1]) &&
               std::isxdigit(s[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<ResourcePath> ResourcePathOf(const auth::RequestInfo& info) {
  if (!info.resource_request || info.verb_in_path || info.parts.empty() ||
      info.parts.size() > 3) {
    return std::nullopt;
  }
  ResourcePath p;
  p.group = info.api_group;
  p.version = info.api_version;
  // The Namespace object itself (namespaces/NS[/status]) is cluster-scoped;
  // its name is only its "namespace" for authorization.
  if (info.in_namespace_path) p.ns = info.ns;
  p.plural = info.parts[0];
  if (info.parts.size() >= 2) p.name = info.parts[1];
  if (info.parts.size() == 3) p.subresource = info.parts[2];
  return p;
}

std::optional<ResourcePath> ParseResourcePath(std::string_view decoded_path) {
  return ResourcePathOf(auth::ParseRequestInfo("GET", decoded_path, {}));
}

std::map<std::string, std::string, std::less<>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(start, amp - start);
    size_t eq = kv.find('=');
    if (!kv.empty()) {
      out[Decode(kv.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : Decode(kv.substr(eq + 1));
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace ferry::api
