#include "main/authz_command.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/api_client.h"
#include "cli/kubeconfig.h"

namespace ferry::main {
namespace {

using nlohmann::json;

StatusOr<json> BuildBody(const AuthzFlags& f) {
  json headers = json::object();
  for (const auto& h : f.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgumentError("-H `" + h + "`: write headers as 'Name: value'");
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers[h.substr(0, colon)] = value;
  }
  json body = {{"url", f.url}, {"method", f.method}, {"headers", headers}};
  if (!f.token.empty()) body["token"] = f.token;
  if (!f.gateway.empty()) body["gateway"] = f.gateway;
  return body;
}

void PrintHuman(const json& r, std::ostream& out) {
  const auto& lines = r.value("explanation", json::array());
  for (size_t i = 0; i < lines.size(); ++i)
    out << (i ? "  " : "") << lines[i].get<std::string>() << "\n";
  for (const auto& w : r.value("workloads", json::array())) {
    out << "\n"
        << w.value("workload", "") << ": "
        << (w.value("allowed", false) ? "allowed"
                                      : "denied (" + std::to_string(w.value("status", 0)) + ")")
        << "\n";
    const auto& ex = w.value("explanation", json::array());
    for (size_t i = 1; i < ex.size(); ++i) out << "  " << ex[i].get<std::string>() << "\n";
  }
  if (!r.value("allowed", false)) {
    out << "\nresponse: " << r.value("status", 0);
    const json headers = r.value("headers", json::object());
    for (const auto& [k, v] : headers.items()) {
      out << "\n  " << k << ": " << v.get<std::string>();
    }
    std::string body = r.value("body", "");
    for (char& c : body) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    if (body.size() > 300) body = body.substr(0, 297) + "...";
    if (!body.empty()) out << "\n  " << body;
    out << "\n";
  }
}

}  // namespace

int RunAuthzCheck(const AuthzFlags& f, std::ostream& out, std::ostream& err) {
  auto body = BuildBody(f);
  if (!body.ok()) {
    err << "ferry authz check: " << body.status().message() << "\n";
    return 2;
  }
  auto config = cli::LoadKubeconfig(cli::KubeconfigPath(f.data_dir, f.kubeconfig));
  if (!config.ok()) {
    err << "ferry authz check: " << config.status().message() << "\n";
    return 2;
  }
  cli::ApiClient client(*config);
  auto resp = client.Do("POST", "/ferry/v1/authz/check", body->dump(), "application/json");
  if (!resp.ok()) {
    err << "ferry authz check: " << resp.status().message() << "\n";
    return 2;
  }
  json r = json::parse(resp->body, nullptr, false);
  if (resp->status != 200 || r.is_discarded() || !r.is_object()) {
    std::string msg = resp->body;
    if (!r.is_discarded() && r.is_object() && r.contains("error")) msg = r["error"].dump();
    err << "ferry authz check: " << config->server << " answered " << resp->status << ": " << msg
        << "\n";
    return 2;
  }
  if (f.output == "json") {
    out << r.dump(2) << "\n";
  } else {
    PrintHuman(r, out);
  }
  return r.value("allowed", false) ? 0 : 1;
}

}  // namespace ferry::main
