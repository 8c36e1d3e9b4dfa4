#include "api/discovery.h"

#include <cstdio>
#include <map>
#include <set>

#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kVerbs[] = {"create", "delete", "deletecollection", "get",
                                  "list",   "patch",  "update",           "watch"};

// Group → versions in order of first appearance (preferred first).
std::map<std::string, std::vector<std::string>> GroupVersions() {
  std::map<std::string, std::vector<std::string>> out;
  for (const KindInfo& k : AllKinds()) {
    auto& vs = out[k.group];
    for (const std::string& v : k.versions) {
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
    }
  }
  return out;
}

json GroupJson(const std::string& group, const std::vector<std::string>& versions) {
  json vs = json::array();
  for (const std::string& v : versions) {
    vs.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  }
  return {{"name", group}, {"versions", vs}, {"preferredVersion", vs[0]}};
}

json ResourceJson(const KindInfo& k) {
  json r = {{"name", k.plural},
            {"singularName", k.singular},
            {"namespaced", k.namespaced},
            {"kind", k.kind},
            {"verbs", k.verbs.empty() ? json(kVerbs) : json(k.verbs)}};
  if (!k.short_names.empty()) r["shortNames"] = k.short_names;
  if (!k.categories.empty()) r["categories"] = k.categories;
  return r;
}

std::string Hash(const json& doc) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016zX", std::hash<std::string>()(doc.dump()));
  return buf;
}

}  // namespace

json VersionInfo() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0-ferry"},
          {"gitCommit", "0"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json CoreApiVersions(std::string_view server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json ApiGroupList() {
  json groups = json::array();
  for (const auto& [g, vs] : GroupVersions()) {
    if (!g.empty()) groups.push_back(GroupJson(g, vs));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> ApiGroup(std::string_view group) {
  auto gv = GroupVersions();
  auto it = gv.find(std::string(group));
  if (group.empty() || it == gv.end()) return std::nullopt;
  json g = GroupJson(it->first, it->second);
  g["kind"] = "APIGroup";
  g["apiVersion"] = "v1";
  return g;
}

std::optional<json> ApiResourceList(std::string_view group, std::string_view version) {
  json resources = json::array();
  for (const KindInfo& k : AllKinds()) {
    if (k.group != group || !k.serves(version)) continue;
    resources.push_back(ResourceJson(k));
    if (k.status_subresource) {
      resources.push_back({{"name", k.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", k.namespaced},
                           {"kind", k.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (k.kind == "ServiceAccount") {
      resources.push_back({{"name", "serviceaccounts/token"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"group", "authentication.k8s.io"},
                           {"version", "v1"},
                           {"kind", "TokenRequest"},
                           {"verbs", {"create"}}});
    }
  }
  if (resources.empty()) return std::nullopt;
  std::string gv =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv},
              {"resources", resources}};
}

std::optional<json> OpenApiV3Document(std::string_view path) {
  std::string group, version;
  if (path.rfind("api/", 0) == 0) {
    version = std::string(path.substr(4));
  } else if (path.rfind("apis/", 0) == 0) {
    std::string_view gv = path.substr(5);
    size_t slash = gv.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    group = std::string(gv.substr(0, slash));
    version = std::string(gv.substr(slash + 1));
  } else {
    return std::nullopt;
  }
  json paths = json::object();
  for (const KindInfo& k : AllKinds()) {
    if (k.group != group || !k.serves(version) || !k.stored) continue;
    std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    std::string p =
        prefix + (k.namespaced ? "/namespaces/{namespace}/" : "/") + k.plural + "/{name}";
    json op = {{"x-kubernetes-group-version-kind",
                {{"group", group}, {"version", version}, {"kind", k.kind}}},
               {"parameters",
                {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
               {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[p] = {{"patch", op}};
  }
  if (paths.empty()) return std::nullopt;
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
              {"components", {{"schemas", json::object()}}},
              {"paths", paths}};
}

json OpenApiV3Root() {
  json paths = json::object();
  for (const auto& [g, vs] : GroupVersions()) {
    for (const std::string& v : vs) {
      std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      auto doc = OpenApiV3Document(key);
      if (!doc) continue;  // only create-only review kinds: nothing to patch
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + Hash(*doc)}};
    }
  }
  return {{"paths", paths}};
}

}  // namespace ferry::api
