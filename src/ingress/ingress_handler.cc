#include "ingress/ingress_handler.h"

#include "gateway/engine.h"
#include "protocol/v2_json.h"
#include "serving/http_status.h"

namespace ferry::ingress {
namespace {

std::string ErrorBody(const std::string& message) { return protocol::WriteJsonError(message); }

void Lower(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

std::string_view RawHostWithPort(const http::HttpRequest& req) {
  std::string_view t = req.target;
  size_t scheme = t.find("://");
  if (!t.empty() && t[0] != '/' && scheme != std::string_view::npos) {
    std::string_view rest = t.substr(scheme + 3);
    return rest.substr(0, rest.find('/'));
  }
  return req.Header("host");
}

// Path with query as sent (for absolute-form: from the first '/' after the authority).
std::string_view PathAndQuery(const http::HttpRequest& req) {
  const char* begin = req.path.data();
  const char* end = req.target.data() + req.target.size();
  if (begin < req.target.data() || begin > end) return req.path;
  return std::string_view(begin, end - begin);
}

// The parked form of an HTTP request: owns it until it is answered.
class HttpParked : public PipelineCall {
 public:
  HttpParked(IngressHandler* handler, http::HttpRequest request, http::Responder responder)
      : handler_(handler), request_(std::move(request)), responder_(std::move(responder)) {}

  GatewayInput Input() const override { return handler_->InputFor(request_); }
  HeaderList& Headers() override { return request_.headers; }
  void Post(std::function<void()> fn) override { responder_.Post(std::move(fn)); }
  void Finish(GatewayOutcome& outcome) override {
    handler_->Dispatch(request_, responder_, outcome);
  }
  void Abandon(const Status& why) override {
    responder_.Send(
        http::HttpResponse::Json(serving::HttpStatusFor(why.code()), ErrorBody(why.message())));
  }

 private:
  IngressHandler* handler_;
  http::HttpRequest request_;
  http::Responder responder_;
};

}  // namespace

http::HttpResponse DenialResponse(const gateway::Decision& d) {
  http::HttpResponse r;
  r.status = d.status;
  r.content_type = d.content_type;
  r.body = d.body;
  for (const auto& h : d.downstream_headers) {
    if (h.name == "content-type") {
      r.content_type = h.value;
    } else if (h.name != "content-length" && h.name != "date" && h.name != "server" &&
               h.name != "transfer-encoding" && h.name != "connection") {
      r.headers.emplace_back(h.name, h.value);
    }
  }
  return r;
}

http::HttpResponse NoRouteResponse(std::string_view host, bool external) {
  return http::HttpResponse::Json(
      404, ErrorBody("no InferenceService has host `" + std::string(host) + "` on the " +
                     (external ? "external" : "cluster-local") +
                     " gateway. Use the host of its URL (kubectl get inferenceservice -A shows "
                     "it) in the Host header, or point HTTP_PROXY at this listener and call "
                     "the URL itself"));
}

http::HttpResponse NotReadyResponse(const controller::ServiceRoute& route) {
  return http::HttpResponse::Json(
      503, ErrorBody("InferenceService " + route.name_space + "/" + route.name +
                     " has no ready revision: " + route.not_ready_reason +
                     " (kubectl describe inferenceservice " + route.name + " -n " +
                     route.name_space + ")"));
}

std::string RequestHost(const http::HttpRequest& request) {
  std::string host(RawHostWithPort(request));
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  Lower(host);
  return host;
}

IngressHandler::IngressHandler(bool external, ParkedCalls* parked, server::ModelRouter* router)
    : external_(external), parked_(parked), router_(router) {}

GatewayInput IngressHandler::InputFor(const http::HttpRequest& req) const {
  GatewayInput in;
  in.listener = external_ ? Listener::kExternal : Listener::kInternal;
  in.oauth2_routes = external_ && front_ != nullptr;
  in.dashboard_routes = in.oauth2_routes && front_->has_dashboard();
  in.method = req.method;
  in.authority = RawHostWithPort(req);
  in.target = PathAndQuery(req);
  in.absolute_form = !req.target.empty() && req.target[0] != '/';
  in.source_ip = req.remote_address;
  in.local_port = req.local_port;
  return in;
}

void IngressHandler::Handle(http::HttpRequest& req, http::Responder responder) {
  GatewayProgress progress;
  GatewayOutcome out = pipeline().Evaluate(InputFor(req), req.headers, progress);
  if (out.kind == GatewayOutcome::Kind::kPending) {
    return Park(req, std::move(responder), std::move(progress), std::move(out.pending));
  }
  Dispatch(req, std::move(responder), out);
}

void IngressHandler::Park(http::HttpRequest& req, http::Responder responder,
                          GatewayProgress progress, gateway::PendingWork work) {
  auto call = std::make_shared<HttpParked>(this, std::move(req), responder);
  call->progress = std::move(progress);
  if (parked_->Park(call, std::move(work)) == 0) return;  // refused: already answered
  // A client that leaves stops the wait (the ext-authz call is cancelled).
  std::weak_ptr<PipelineCall> weak = call;
  responder.WatchClientGone([weak, parked = parked_] {
    if (auto c = weak.lock()) parked->Cancel(c->ticket.load(std::memory_order_acquire));
  });
}

void IngressHandler::Dispatch(http::HttpRequest& req, http::Responder responder,
                              GatewayOutcome& out) {
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied:
      return responder.Send(DenialResponse(out.denial));
    case GatewayOutcome::Kind::kNoRoute:
      return responder.Send(NoRouteResponse(out.host, external_));
    case GatewayOutcome::Kind::kNotReady:
      return responder.Send(NotReadyResponse(*out.route));
    case GatewayOutcome::Kind::kPending:
      return responder.Send(http::HttpResponse::Json(500, ErrorBody("gateway: unexpected park")));
    case GatewayOutcome::Kind::kRouted:
      break;
  }
  if (out.path_changed) {
    // Serve what was authorized: the normalized path, the query as sent.
    std::string target;
    target.reserve(out.path.size() + out.query.size());
    target.append(out.path).append(out.query);
    req.target = std::move(target);
    http::SplitTarget(req.target, &req.path, &req.query);
  }
  switch (out.destination) {
    case Destination::kOauth2:
      return front_->ServeOauth2(req, std::move(responder));
    case Destination::kDashboard:
      return front_->ServeDashboard(req, std::move(responder));
    case Destination::kModel:
      break;
  }
  router_->HandleWith(out.revision->catalog, req, std::move(responder));
}

}  // namespace ferry::ingress
