// The model repository extension's REST routes of ModelRouter (Triton's `model_repository`
// extension as KServe's server answers it): POST /v2/repository/index,
// POST /v2/repository/models/{name}/load and .../unload, over the router's ModelRepository
// (serving/model_repository.h). Load and unload answer from the repository's thread.
#include "protocol/repository_json.h"
#include "protocol/v2_json.h"
#include "server/model_router.h"
#include "server/router_call.h"

namespace ferry::server {

using http::HttpResponse;
using protocol::JsonEscape;

namespace {

// Triton's index entry: {"name", "version" (when versioned), "state", "reason"}.
std::string IndexJson(const std::vector<serving::RepositoryIndexEntry>& index) {
  std::string body = "[";
  for (size_t i = 0; i < index.size(); ++i) {
    const auto& e = index[i];
    if (i) body += ", ";
    body += "{\"name\": " + JsonEscape(e.name);
    if (!e.version.empty()) body += ", \"version\": " + JsonEscape(e.version);
    body += ", \"state\": " + JsonEscape(e.state) + ", \"reason\": " + JsonEscape(e.reason) + "}";
  }
  return body + "]";
}

}  // namespace

void ModelRouter::RouteRepository(const std::shared_ptr<Call>& call, std::string_view rest) {
  const std::string& method = call->req().method;
  if (rest == "/index") {
    if (method != "POST") return call->WrongMethod("POST (body optional: {\"ready\": true})");
    auto request = protocol::ParseRepositoryIndexRequest(call->req().body);
    if (!request.ok()) return call->Error(request.status());
    return call->Reply(HttpResponse::Json(200, IndexJson(repository_->Index(*call->catalog, request->ready))));
  }
  if (!rest.starts_with("/models/")) return NotFoundRoute(call);
  rest.remove_prefix(8);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return NotFoundRoute(call);
  std::string name(rest.substr(0, slash));
  std::string_view verb = rest.substr(slash + 1);
  if (verb != "load" && verb != "unload") return NotFoundRoute(call);
  if (method != "POST") return call->WrongMethod("POST");
  Status body = protocol::ParseRepositoryModelRequest(call->req().body, verb);
  if (!body.ok()) return call->Error(body);
  bool load = verb == "load";
  call->Keep();  // the load or unload may answer later, from another thread
  auto done = [call, name, load](Status s) {
    if (!s.ok()) return call->Error(s);
    // KServe's answers: {"name": X, "load": true} / {"name": X, "unload": true}.
    call->Reply(HttpResponse::Json(
        200, "{\"name\": " + JsonEscape(name) + (load ? ", \"load\": true}" : ", \"unload\": true}")));
  };
  if (load) return repository_->Load(*call->catalog, name, std::move(done));
  repository_->Unload(*call->catalog, name, std::move(done));
}

}  // namespace ferry::server
