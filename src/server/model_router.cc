#include "server/model_router.h"

#include <chrono>

#include "protocol/v2_json.h"
#include "server/router_call.h"
#include "serving/http_status.h"

namespace ferry::server {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

using serving::Metrics;
using serving::ModelCatalog;
using serving::ModelEntry;
using serving::Protocol;

using protocol::JsonEscape;

ModelRouter::ModelRouter(ModelRouterOptions options, Metrics* metrics, AccessLog* access_log)
    : options_(std::move(options)), metrics_(metrics), access_log_(access_log) {}

void ModelRouter::SetCatalog(std::shared_ptr<const ModelCatalog> catalog) {
  catalog_.store(std::move(catalog));
}

std::shared_ptr<const ModelCatalog> ModelRouter::catalog() const { return catalog_.load(); }

serving::RequestContext RequestContextOf(const HttpRequest& request) {
  serving::RequestContext context;
  RequestContextOf(request, &context);
  return context;
}

void RequestContextOf(const HttpRequest& request, serving::RequestContext* out) {
  std::string_view id, parent;
  std::string state;
  int parents = 0;
  for (const auto& [k, v] : request.headers) {
    if (k == serving::kRequestIdHeader) {
      if (id.empty()) id = v;
    } else if (k == serving::kTraceParentHeader) {
      parent = v;
      ++parents;
    } else if (k == serving::kTraceStateHeader) {
      if (!state.empty()) state.push_back(',');
      state.append(v);
    }
  }
  serving::MakeRequestContext(id, parent, state, parents, out);
}

namespace {

// The Call of the last request this thread answered inline, emptied, kept for the next one
// (its allocation reused). Null while a request has it.
thread_local std::shared_ptr<ModelRouter::Call> spare_call;

// This thread's spare call, or a new one.
std::shared_ptr<ModelRouter::Call> TakeCall() {
  if (spare_call != nullptr) return std::move(spare_call);  // emptied when it was put there
  return std::make_shared<ModelRouter::Call>();
}

}  // namespace

void ModelRouter::Handle(HttpRequest& request, Responder responder) {
  std::shared_ptr<Call> call = TakeCall();
  call->Lend(&request);
  call->responder = std::move(responder);
  RequestContextOf(request, &call->context);
  SetUp(*call, catalog());
  Route(call);
  if (call.use_count() != 1) {
    // Held elsewhere: whatever holds it took the request with Keep() before it was handed on
    // (router_call.h); this only makes sure no call outlives Handle borrowing the listener's.
    call->Keep();
    return;
  }
  // Answered inline and held nowhere else (no executor, activator or parked call has it): the
  // listener's request was only borrowed, and the emptied call is kept for this thread's next
  // request. The fence pairs with the release of whichever thread let go of it last.
  std::atomic_thread_fence(std::memory_order_acquire);
  call->Empty();
  spare_call = std::move(call);
}

void ModelRouter::HandleWith(std::shared_ptr<const ModelCatalog> catalog, HttpRequest& request,
                             Responder responder, serving::RequestContext context) {
  std::shared_ptr<Call> call = TakeCall();
  call->Own(std::move(request));
  call->responder = std::move(responder);
  call->context = std::move(context);
  SetUp(*call, std::move(catalog));
  Route(std::move(call));
}

void ModelRouter::SetUp(Call& call, std::shared_ptr<const ModelCatalog> catalog) const {
  call.catalog = catalog ? std::move(catalog) : std::make_shared<ModelCatalog>();
  call.access_log = access_log_;
  call.error_sink = &error_sink_;
}

namespace {

std::string ModelNames(const ModelCatalog& c) {
  std::string out;
  for (const auto& m : c.models) {
    if (!out.empty()) out += ", ";
    out += m->name;
  }
  return out.empty() ? "(none)" : out;
}

// {"models": ["a", "b"]}: GET /v2/models and GET /v1/models.
std::string ModelListJson(const ModelCatalog& c) {
  std::string body = "{\"models\": [";
  for (size_t i = 0; i < c.models.size(); ++i) {
    if (i) body += ", ";
    body += JsonEscape(c.models[i]->name);
  }
  return body + "]}";
}

std::string NoSuchModel(std::string_view name, const ModelCatalog& c) {
  return "Model with name " + std::string(name) +
         " does not exist. Models served here: " + ModelNames(c);
}

}  // namespace

void ModelRouter::Route(std::shared_ptr<Call> call) {
  std::string_view path = call->req().path;
  const std::string& method = call->req().method;
  if (path.starts_with("/v2")) {
    call->protocol = Protocol::kV2;
    return RouteV2(call, path.substr(3));
  }
  if (path.starts_with("/v1/")) {
    call->protocol = Protocol::kV1;
    return RouteV1(call, path.substr(4));
  }
  if (path == "/invocations") {
    call->protocol = Protocol::kMlflow;
    return Invocations(call);
  }
  if (path == "/" || path == "/ping" || path == "/health") {
    if (method != "GET" && method != "HEAD") return call->WrongMethod("GET");
    if (path == "/") return call->Reply(HttpResponse::Json(200, "{\"status\": \"alive\"}"));
    // MLflow scoring server: 200 "\n" once the model is loaded.
    if (!call->catalog->AllReady()) return call->Reply(HttpResponse::Text(404, "\n"));
    return call->Reply(HttpResponse::Text(200, "\n"));
  }
  if (path == "/version") {
    std::string v = "unknown";
    if (call->catalog->models.size() == 1 && call->catalog->models[0]->served &&
        !call->catalog->models[0]->served->mlflow_version.empty()) {
      v = call->catalog->models[0]->served->mlflow_version;
    }
    return call->Reply(HttpResponse::Text(200, v));
  }
  if (path == "/metrics") {
    HttpResponse r = HttpResponse::Text(200, metrics_->Render());
    r.content_type = "text/plain; version=0.0.4";
    return call->Reply(std::move(r));
  }
  NotFoundRoute(call);
}

void ModelRouter::NotFoundRoute(const std::shared_ptr<Call>& call) {
  std::string name = call->catalog->models.size() == 1 ? call->catalog->models[0]->name : "{name}";
  call->Error(
      404, "no route for " + call->req().method + " " + std::string(call->req().path) +
               ". This server answers: GET /v2, /v2/health/live, /v2/health/ready, "
               "/v2/models/" +
               name + ", /v2/models/" + name + "/ready; POST /v2/models/" + name +
               "/infer (Open Inference Protocol); GET /v1/models/" + name + "; POST /v1/models/" +
               name + ":predict, /v1/models/" + name +
               ":explain (KServe V1); POST /invocations, GET /ping, /health, /version "
               "(MLflow); GET /metrics" +
               (repository_ != nullptr ? "; POST /v2/repository/index, /v2/repository/models/" +
                                             name + "/load, /v2/repository/models/" + name +
                                             "/unload (model repository extension)"
                                       : std::string()));
}

const ModelEntry* ModelRouter::UsableModel(const std::shared_ptr<Call>& call, std::string_view name,
                                           bool v1_wording) {
  const ModelEntry* m = call->catalog->Find(name);
  if (m == nullptr) {
    call->Error(404, NoSuchModel(name, *call->catalog));
    return nullptr;
  }
  call->counters = m->counters;
  if (m->state == ModelEntry::State::kFailed) {
    call->Error(503, "Model with name " + std::string(name) +
                         " is not ready: it failed to load: " + m->failure);
    return nullptr;
  }
  if (m->state == ModelEntry::State::kUnloaded) {
    // KServe's ModelNotReady text, then the cause and the fix.
    call->Error(503,
                "Model with name " + std::string(name) + " is not ready. It was " + m->failure);
    return nullptr;
  }
  if (m->state == ModelEntry::State::kLoading && Activate(call, *m)) return nullptr;
  if (m->state != ModelEntry::State::kReady) {
    call->Error(503, "Model with name " + std::string(name) + " is not ready (still loading).");
    return nullptr;
  }
  return m;
}

bool ModelRouter::Activate(const std::shared_ptr<Call>& call, const ModelEntry& m) {
  if (!activator_) return false;
  call->Keep();  // parked, it is resumed later, from any thread
  std::string name = m.name;
  return activator_(
      m, [this, call, name](std::shared_ptr<const ModelCatalog> catalog, std::string error) {
        if (catalog == nullptr) {
          return call->Error(503, "Model with name " + name + " is not ready: " + error);
        }
        // Route again from the top on the loaded model; the request is intact
        // (nothing was decoded before the model was resolved).
        call->catalog = std::move(catalog);
        Route(call);
      });
}

void ModelRouter::RouteV2(const std::shared_ptr<Call>& call, std::string_view rest) {
  const std::string& method = call->req().method;
  bool get = method == "GET" || method == "HEAD";
  if (rest.empty() || rest == "/") {
    if (!get) return call->WrongMethod("GET");
    // Only what this server answers: binary tensors always, the repository when it has one.
    return call->Reply(HttpResponse::Json(
        200, "{\"name\": " + JsonEscape(options_.server_name) + ", \"version\": " +
                 JsonEscape(options_.server_version) + ", \"extensions\": [\"binary_tensor_data\"" +
                 (repository_ != nullptr ? ", \"model_repository_extension\"" : "") + "]}"));
  }
  if (repository_ != nullptr && rest.starts_with("/repository/")) {
    return RouteRepository(call, rest.substr(11));
  }
  if (rest == "/health/live") {
    if (!get) return call->WrongMethod("GET");
    return call->Reply(HttpResponse::Json(200, "{\"live\": true}"));
  }
  if (rest == "/health/ready") {
    if (!get) return call->WrongMethod("GET");
    bool ready = call->catalog->AllReady();
    return call->Reply(
        HttpResponse::Json(ready ? 200 : 503, ready ? "{\"ready\": true}" : "{\"ready\": false}"));
  }
  if (rest == "/models" || rest == "/models/") {
    if (!get) return call->WrongMethod("GET");
    return call->Reply(HttpResponse::Json(200, ModelListJson(*call->catalog)));
  }
  if (!rest.starts_with("/models/")) return NotFoundRoute(call);
  rest.remove_prefix(8);
  size_t slash = rest.find('/');
  std::string_view name = rest.substr(0, slash);
  std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (tail.starts_with("/versions/")) {
    std::string_view v = tail.substr(10);
    size_t s2 = v.find('/');
    std::string_view version = v.substr(0, s2);
    tail = s2 == std::string_view::npos ? std::string_view() : v.substr(s2);
    const ModelEntry* m = call->catalog->Find(name);
    if (m != nullptr && m->served) {
      const auto& versions = m->served->metadata.versions;
      bool known = false;
      for (const auto& x : versions) known = known || x == version;
      if (!known) {
        call->counters = m->counters;
        return call->Error(404, "model " + std::string(name) + " has no version '" +
                                    std::string(version) + "'" +
                                    (versions.empty() ? "; it is not versioned: drop /versions/" +
                                                            std::string(version) + " from the path"
                                                      : ""));
      }
    }
  }
  if (tail.empty() || tail == "/") {
    if (!get) return call->WrongMethod("GET");
    const ModelEntry* m = UsableModel(call, name, false);
    if (m == nullptr) return;
    return ServeModelMetadataV2(call, *m);
  }
  if (tail == "/ready") {
    if (!get) return call->WrongMethod("GET");
    const ModelEntry* m = call->catalog->Find(name);
    if (m == nullptr) {
      return call->Error(404, NoSuchModel(name, *call->catalog));
    }
    call->counters = m->counters;
    bool ready = m->state == ModelEntry::State::kReady;
    return call->Reply(HttpResponse::Json(
        ready ? 200 : 503,
        "{\"name\": " + JsonEscape(m->name) + ", \"ready\": " + (ready ? "true" : "false") + "}"));
  }
  if (tail == "/infer") {
    if (method != "POST") {
      return call->WrongMethod("POST (with an Open Inference Protocol body: {\"inputs\": [...]})");
    }
    call->inference = true;
    const ModelEntry* m = UsableModel(call, name, false);
    if (m == nullptr) return;
    return InferV2(call, *m);
  }
  NotFoundRoute(call);
}

void ModelRouter::RouteV1(const std::shared_ptr<Call>& call, std::string_view rest) {
  const std::string& method = call->req().method;
  bool get = method == "GET" || method == "HEAD";
  if (rest == "models" || rest == "models/") {
    if (!get) return call->WrongMethod("GET");
    return call->Reply(HttpResponse::Json(200, ModelListJson(*call->catalog)));
  }
  if (!rest.starts_with("models/")) return NotFoundRoute(call);
  rest.remove_prefix(7);
  size_t colon = rest.find(':');
  std::string_view name = rest.substr(0, colon);
  std::string_view verb = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  if (name.find('/') != std::string_view::npos) return NotFoundRoute(call);
  if (verb.empty()) {
    if (!get)
      return call->WrongMethod("GET (or POST /v1/models/" + std::string(name) + ":predict)");
    const ModelEntry* m = call->catalog->Find(name);
    if (m == nullptr) {
      return call->Error(404, NoSuchModel(name, *call->catalog));
    }
    call->counters = m->counters;
    bool ready = m->state == ModelEntry::State::kReady;
    if (!ready) {
      return call->Error(503, "Model with name " + std::string(name) + " is not ready.");
    }
    return call->Reply(
        HttpResponse::Json(200, "{\"name\": " + JsonEscape(m->name) + ", \"ready\": true}"));
  }
  if (verb == ":predict") {
    if (method != "POST") {
      return call->WrongMethod("POST (with a KServe V1 body: {\"instances\": [...]})");
    }
    call->inference = true;
    const ModelEntry* m = UsableModel(call, name, true);
    if (m == nullptr) return;
    return PredictV1(call, *m, false);
  }
  if (verb == ":explain") {
    if (method != "POST") {
      return call->WrongMethod("POST (with a KServe V1 body: {\"instances\": [...]})");
    }
    call->inference = true;
    const ModelEntry* m = UsableModel(call, name, true);
    if (m == nullptr) return;
    return PredictV1(call, *m, true);
  }
  NotFoundRoute(call);
}

void ModelRouter::ServeModelMetadataV2(const std::shared_ptr<Call>& call, const ModelEntry& m) {
  protocol::ModelMetadata md = m.served->metadata;
  md.name = m.name;
  call->Reply(HttpResponse::Json(200, protocol::WriteV2Metadata(md)));
}

}  // namespace ferry::server
