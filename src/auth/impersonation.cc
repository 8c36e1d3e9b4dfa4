#include "auth/impersonation.h"

#include <map>

#include "auth/request_info.h"

namespace ferry::auth {
namespace {

constexpr std::string_view kExtraPrefix = "impersonate-extra-";

Attributes Check(std::string group, std::string resource, std::string ns, std::string name,
                 std::string subresource = "") {
  Attributes a;
  a.verb = "impersonate";
  a.resource_request = true;
  a.api_group = std::move(group);
  a.resource = std::move(resource);
  a.subresource = std::move(subresource);
  a.ns = std::move(ns);
  a.name = std::move(name);
  return a;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

StatusOr<std::optional<Impersonation>> ParseImpersonation(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string user;
  std::string uid;
  std::vector<std::string> groups;
  std::vector<std::pair<std::string, std::string>> extras;  // key, value
  bool has_user = false, has_uid = false;
  for (const auto& [name, value] : headers) {
    if (name == "impersonate-user" && !has_user) {
      user = value;
      has_user = !value.empty();
    } else if (name == "impersonate-group") {
      groups.push_back(value);
    } else if (name == "impersonate-uid" && !has_uid) {
      uid = value;
      has_uid = !value.empty();
    } else if (name.size() > kExtraPrefix.size() &&
               name.compare(0, kExtraPrefix.size(), kExtraPrefix) == 0) {
      auto key = DecodePath(name.substr(kExtraPrefix.size()));
      extras.emplace_back(Lower(key.ok() ? *key : name.substr(kExtraPrefix.size())), value);
    }
  }
  if (!has_user && groups.empty() && extras.empty() && !has_uid) {
    return std::optional<Impersonation>();  // not std::nullopt: that would empty the StatusOr
  }
  if (!has_user) {
    return InvalidArgumentError(
        "requested impersonation of groups, extras or a uid without impersonating a user: add "
        "Impersonate-User (kubectl --as)");
  }
  Impersonation imp;
  std::string sa_ns, sa_name;
  bool groups_given = !groups.empty();
  if (SplitServiceAccountUsername(user, &sa_ns, &sa_name)) {
    imp.checks.push_back(Check("", "serviceaccounts", sa_ns, sa_name));
    imp.user.name = user;
    if (!groups_given) imp.user.groups = ServiceAccountGroups(sa_ns);
  } else {
    imp.checks.push_back(Check("", "users", "", user));
    imp.user.name = user;
  }
  for (const std::string& g : groups) {
    imp.checks.push_back(Check("", "groups", "", g));
    imp.user.groups.push_back(g);
  }
  for (const auto& [key, value] : extras) {
    imp.checks.push_back(Check("authentication.k8s.io", "userextras", "", value, key));
    imp.user.extra[key].push_back(value);
  }
  if (has_uid) {
    imp.checks.push_back(Check("authentication.k8s.io", "uids", "", uid));
    imp.user.uid = uid;
  }
  if (imp.user.name != kAnonymousUser) {
    if (!imp.user.InGroup(kAllAuthenticated) && !imp.user.InGroup(kAllUnauthenticated)) {
      imp.user.groups.emplace_back(kAllAuthenticated);
    }
  } else if (!imp.user.InGroup(kAllUnauthenticated)) {
    imp.user.groups.emplace_back(kAllUnauthenticated);
  }
  return std::optional<Impersonation>(std::move(imp));
}

}  // namespace ferry::auth
