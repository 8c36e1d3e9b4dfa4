#include "cli/session.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "api/manifest.h"

namespace ferry::cli {

using nlohmann::json;

StatusOr<Session> Session::Open(const CliFlags& flags) {
  ASSIGN_OR_RETURN(ClientConfig config,
                   LoadKubeconfig(KubeconfigPath(flags.data_dir, flags.kubeconfig)));
  Session s;
  s.name_space = flags.name_space.empty() ? config.name_space : flags.name_space;
  s.client = std::make_unique<ApiClient>(std::move(config));
  ASSIGN_OR_RETURN(s.discovery, Discovery::Load(*s.client));
  return s;
}

Status Session::ResolveArgs(const std::vector<std::string>& args, Resource* resource,
                            std::string* name) const {
  if (args.empty()) {
    return InvalidArgumentError(
        "you must specify the type of resource, e.g. `isvc`, "
        "`inferenceservices`, `secrets`");
  }
  std::string kind = args[0];
  name->clear();
  size_t slash = kind.find('/');
  if (slash != std::string::npos) {
    *name = kind.substr(slash + 1);
    kind = kind.substr(0, slash);
  }
  if (args.size() > 1) {
    if (!name->empty()) return InvalidArgumentError("give either KIND/NAME or KIND NAME, not both");
    *name = args[1];
  }
  if (args.size() > 2) return InvalidArgumentError("only one NAME is supported");
  ASSIGN_OR_RETURN(*resource, discovery.Find(kind));
  return OkStatus();
}

std::string Session::NamespaceOf(const json& object) const {
  if (object.contains("metadata") && object["metadata"].contains("namespace") &&
      object["metadata"]["namespace"].is_string()) {
    return object["metadata"]["namespace"].get<std::string>();
  }
  return name_space;
}

StatusOr<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& files) {
  std::vector<Manifest> out;
  for (const std::string& file : files) {
    std::stringstream text;
    if (file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(file);
      if (!in) return NotFoundError("error: the path \"" + file + "\" does not exist");
      text << in.rdbuf();
    }
    auto docs = api::ParseManifests(text.str());
    if (!docs.ok()) return InvalidArgumentError("error: " + file + ": " + docs.status().message());
    for (auto& doc : *docs) {
      if (doc.value("kind", "").ends_with("List") && doc.contains("items")) {
        for (auto& item : doc["items"]) out.push_back({item, file});
      } else {
        out.push_back({std::move(doc), file});
      }
    }
  }
  if (out.empty()) return InvalidArgumentError("error: no objects passed to the command");
  return out;
}

StatusOr<json> GetJson(ApiClient& client, const std::string& path, const std::string& accept) {
  ASSIGN_OR_RETURN(ApiResponse resp, client.Do("GET", path, "", "", accept));
  if (resp.status / 100 != 2) return ServerError(resp);
  json body = json::parse(resp.body, nullptr, false);
  if (body.is_discarded()) return InternalError("the API answered " + path + " with no JSON");
  return body;
}

}  // namespace ferry::cli
