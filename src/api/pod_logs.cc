// GET /api/v1/namespaces/NS/pods/NAME/log — what `kubectl logs POD` reads:
// ?container= (required when the pod has more than one container; init
// containers count), &previous=true (the run before the current one),
// &tailLines=N, &sinceSeconds=S, &sinceTime=RFC3339, &timestamps=true,
// &follow=true (streams while the container runs). The lines come from
// IsvcLogs, tagged by pod, container and restart by the controller.
#include <algorithm>

#include "api/api_server_impl.h"
#include "api/encoding.h"
#include "api/kinds.h"

namespace ferry::api {

using nlohmann::json;
using http::HttpResponse;
using http::Responder;

namespace {

std::string Get(const Query& q, std::string_view key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

bool Number(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string NameList(const json& containers) {
  std::string out;
  for (const json& c : containers) out += (out.empty() ? "" : " ") + c.value("name", "");
  return "[" + out + "]";
}

const json* FindStatus(const json& pod, const std::string& container) {
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json& l = At(pod, std::string("status.") + list);
    if (!l.is_array()) continue;
    for (const json& c : l) {
      if (c.value("name", "") == container) return &c;
    }
  }
  return nullptr;
}

}  // namespace

void ApiServer::Impl::HandlePodLog(const ResourcePath& path, const Query& query,
                                   const Responder& responder) {
  const KindInfo* kind = FindKindByResource(path.group, path.version, path.plural);
  json pod;
  ApiError err = service.Get(*kind, path.version, path.ns, path.name, &pod);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  const json& containers = At(pod, "spec.containers");
  const json& inits = At(pod, "spec.initContainers");
  std::string container = Get(query, "container");
  if (container.empty()) {
    if (containers.size() != 1 || !inits.empty()) {
      return responder.Send(ErrorResponse(BadRequest(
          "a container name must be specified for pod " + path.name + ", choose one of: " +
          NameList(containers) + " or one of the init containers: " + NameList(inits))));
    }
    container = containers[0].value("name", "");
  }
  const json* cs = FindStatus(pod, container);
  if (cs == nullptr) {
    return responder.Send(ErrorResponse(
        BadRequest("container " + container + " is not valid for pod " + path.name)));
  }
  int restart = cs->value("restartCount", 0);
  bool previous = Get(query, "previous") == "true";
  if (previous) {
    if (restart == 0) {
      return responder.Send(ErrorResponse(BadRequest("previous terminated container \"" +
                                                     container + "\" in pod \"" + path.name +
                                                     "\" not found")));
    }
    --restart;
  } else if (At(*cs, "state.waiting.reason") == json("PodInitializing") ||
             At(*cs, "state.waiting.reason") == json("ContainerCreating")) {
    return responder.Send(ErrorResponse(BadRequest(
        "container \"" + container + "\" in pod \"" + path.name + "\" is waiting to start: " +
        StringAt(*cs, "state.waiting.reason"))));
  }
  long tail = -1;
  int64_t n = 0;
  std::string t = Get(query, "tailLines");
  if (!t.empty()) {
    if (!Number(t, &n)) {
      return responder.Send(ErrorResponse(
          BadRequest("tailLines \"" + t + "\" is not a non-negative number of lines")));
    }
    tail = static_cast<long>(n);
  }
  std::chrono::system_clock::time_point since{};
  std::string ss = Get(query, "sinceSeconds"), st = Get(query, "sinceTime");
  if (!ss.empty()) {
    if (!Number(ss, &n) || n == 0) {
      return responder.Send(ErrorResponse(
          BadRequest("sinceSeconds \"" + ss + "\" is not a positive number of seconds")));
    }
    since = std::chrono::system_clock::now() - std::chrono::seconds(n);
  } else if (!st.empty() && !ParseRfc3339(st, &since)) {
    return responder.Send(ErrorResponse(
        BadRequest("sinceTime \"" + st + "\" is not an RFC 3339 time (2026-01-02T03:04:05Z)")));
  }
  LogTarget target{path.ns, "", path.name, container, restart, Get(query, "timestamps") == "true"};
  const json& labels = At(pod, "metadata.labels");
  if (labels.is_object()) target.isvc = labels.value("serving.kserve.io/inferenceservice", "");
  std::vector<LogEntry> lines =
      logs.ForContainer(target.ns, target.isvc, target.pod, container, restart, since, tail);
  bool running = At(*cs, "state.running").is_object();
  if (Get(query, "follow") == "true" && !previous && running) {
    return followers.Start(std::move(target), std::move(lines), responder);
  }
  std::string body;
  for (const LogEntry& e : lines) body += FormatLogLine(e, target.timestamps);
  HttpResponse resp = HttpResponse::Text(200, std::move(body));
  resp.content_type = "text/plain; charset=utf-8";
  responder.Send(std::move(resp));
}

}  // namespace ferry::api
