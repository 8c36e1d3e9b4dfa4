// ferry contributor add|remove|list: a profile's contributors through the
// API's /kfam/v1/bindings (KFAM's REST shape), as the kubeconfig's user —
// so only who may create (or delete) RoleBindings in the namespace can.
#include <cctype>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"
#include "cli/session.h"
#include "kubeflow/kfam.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

std::string QueryEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int List(ApiClient& client, const std::string& ns, std::ostream& out, std::ostream& err) {
  auto resp = client.Do("GET", "/kfam/v1/bindings?namespace=" + QueryEscape(ns));
  if (!resp.ok()) {
    err << "error: " << resp.status().message() << "\n";
    return 1;
  }
  if (resp->status / 100 != 2) {
    err << ServerError(*resp).message() << "\n";
    return 1;
  }
  json body = json::parse(resp->body, nullptr, false);
  out << "USER\tROLE\tBINDING\n";
  for (const json& b : body.value("bindings", json::array())) {
    kubeflow::Binding binding;
    binding.user = b["user"].value("name", "");
    binding.role = b["roleRef"].value("name", "");
    binding.ns = ns;
    std::string name = binding.role == "admin" ? "namespaceAdmin" : kubeflow::BindingName(binding);
    out << binding.user << "\t" << binding.role << "\t" << name << "\n";
  }
  return 0;
}

}  // namespace

int RunContributor(const std::string& action, const CliFlags& flags, std::ostream& out,
                   std::ostream& err) {
  auto session = Session::Open(flags);
  if (!session.ok()) {
    err << "error: " << session.status().message() << "\n";
    return 1;
  }
  const std::string ns = session->name_space;
  if (action == "list") return List(*session->client, ns, out, err);
  if (flags.args.size() != 1) {
    err << "error: ferry contributor " << action << " takes one EMAIL\n";
    return 1;
  }
  kubeflow::Binding binding;
  binding.user = flags.args[0];
  binding.ns = ns;
  binding.role = flags.role;
  auto parsed = kubeflow::ParseBinding(kubeflow::BindingJson(binding));
  if (!parsed.ok()) {
    err << "error: " << parsed.status().message() << "\n";
    return 1;
  }
  auto resp = session->client->Do(action == "add" ? "POST" : "DELETE", "/kfam/v1/bindings",
                                  kubeflow::BindingJson(binding).dump(), "application/json");
  if (!resp.ok()) {
    err << "error: " << resp.status().message() << "\n";
    return 1;
  }
  if (resp->status / 100 != 2) {
    err << ServerError(*resp).message() << "\n";
    return 1;
  }
  out << "contributor " << binding.user << (action == "add" ? " added to " : " removed from ")
      << ns << " (" << binding.role << "): rolebinding and authorizationpolicy "
      << kubeflow::BindingName(binding) << "\n";
  return 0;
}

}  // namespace ferry::cli
