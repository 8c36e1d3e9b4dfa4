#include "auth/forbidden.h"

#include "auth/policy_rule.h"

namespace ferry::auth {
namespace {

std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string ForbiddenMessage(const Attributes& a) {
  std::string user = a.user ? a.user->name : "";
  std::string msg;
  if (!a.resource_request) {
    msg = "User " + GoQuote(user) + " cannot " + a.verb + " path " + GoQuote(a.path);
  } else {
    std::string resource = a.resource;
    if (!a.subresource.empty()) resource += "/" + a.subresource;
    msg = "User " + GoQuote(user) + " cannot " + a.verb + " resource " + GoQuote(resource) +
          " in API group " + GoQuote(a.api_group);
    msg += a.ns.empty() ? " at the cluster scope" : " in the namespace " + GoQuote(a.ns);
  }
  return Sanitize(msg);
}

std::string ForbiddenStatusMessage(const Attributes& a, std::string_view reason) {
  std::string err = ForbiddenMessage(a);
  if (!reason.empty()) err += ": " + std::string(reason);
  if (a.api_group.empty() && a.resource.empty()) return "forbidden: " + err;
  std::string gr = a.api_group.empty() ? a.resource : a.resource + "." + a.api_group;
  if (a.name.empty()) return gr + " is forbidden: " + err;
  return gr + " " + GoQuote(a.name) + " is forbidden: " + err;
}

}  // namespace ferry::auth
