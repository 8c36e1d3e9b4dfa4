#include "api/kinds.h"

#include <algorithm>

namespace ferry::api {

bool KindInfo::serves(std::string_view version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

const std::vector<KindInfo>& AllKinds() {
  static const std::vector<KindInfo> kinds = [] {
    std::vector<KindInfo> k;
    AddCoreKinds(&k);
    AddKServeKinds(&k);
    AddIstioKinds(&k);
    AddOtherKinds(&k);
    AddKnativeKinds(&k);
    AddRbacKinds(&k);
    AddReviewKinds(&k);
    return k;
  }();
  return kinds;
}

const KindInfo* FindKindByResource(std::string_view group, std::string_view version,
                                   std::string_view plural) {
  for (const KindInfo& k : AllKinds()) {
    if (k.group == group && k.plural == plural && k.serves(version)) return &k;
  }
  return nullptr;
}

const KindInfo* FindKindByApiVersion(std::string_view api_version, std::string_view kind) {
  size_t slash = api_version.find('/');
  std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  std::string_view version =
      slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
  for (const KindInfo& k : AllKinds()) {
    if (k.group == group && k.kind == kind && k.serves(version)) return &k;
  }
  return nullptr;
}

const nlohmann::json& At(const nlohmann::json& obj, std::string_view dotted) {
  static const nlohmann::json kNull;
  const nlohmann::json* cur = &obj;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    std::string part(dotted.substr(start, dot - start));
    if (!cur->is_object()) return kNull;
    auto it = cur->find(part);
    if (it == cur->end()) return kNull;
    cur = &*it;
    start = dot + 1;
  }
  return *cur;
}

std::string StringAt(const nlohmann::json& obj, std::string_view dotted) {
  const nlohmann::json& v = At(obj, dotted);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace ferry::api
