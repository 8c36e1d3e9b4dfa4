#include "auth/user_info.h"

#include <algorithm>

namespace ferry::auth {

bool UserInfo::InGroup(std::string_view group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::string ServiceAccountUsername(std::string_view ns, std::string_view name) {
  std::string out(kServiceAccountPrefix);
  out.append(ns).append(":").append(name);
  return out;
}

std::vector<std::string> ServiceAccountGroups(std::string_view ns) {
  return {std::string(kServiceAccountsGroup),
          std::string(kServiceAccountsGroup) + ":" + std::string(ns)};
}

bool SplitServiceAccountUsername(std::string_view username, std::string* ns, std::string* name) {
  if (username.substr(0, kServiceAccountPrefix.size()) != kServiceAccountPrefix) return false;
  std::string_view rest = username.substr(kServiceAccountPrefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return false;
  if (rest.find(':', colon + 1) != std::string_view::npos) return false;
  *ns = std::string(rest.substr(0, colon));
  *name = std::string(rest.substr(colon + 1));
  return true;
}

bool MatchesServiceAccount(std::string_view ns, std::string_view name, std::string_view username) {
  // system:serviceaccount:NS:NAME compared piecewise: no allocation per binding.
  if (username.size() != kServiceAccountPrefix.size() + ns.size() + 1 + name.size()) return false;
  if (username.substr(0, kServiceAccountPrefix.size()) != kServiceAccountPrefix) return false;
  username.remove_prefix(kServiceAccountPrefix.size());
  if (username.substr(0, ns.size()) != ns || username[ns.size()] != ':') return false;
  return username.substr(ns.size() + 1) == name;
}

UserInfo AnonymousUser() {
  UserInfo u;
  u.name = std::string(kAnonymousUser);
  u.groups = {std::string(kAllUnauthenticated)};
  return u;
}

}  // namespace ferry::auth
