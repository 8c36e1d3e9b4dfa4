#include "ingress/ingress_handler.h"

#include <chrono>

#include "gateway/engine.h"
#include "ingress/graph_dispatch.h"
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

// Replaces the client's identity headers with the context's, so the policies,
// ext-authz providers and the upstream see the values Ferry answers with.
void SetIdentityHeaders(const serving::RequestContext& ctx, HeaderList& headers) {
  std::erase_if(headers, [](const auto& h) {
    return h.first == serving::kRequestIdHeader || h.first == serving::kTraceParentHeader ||
           h.first == serving::kTraceStateHeader;
  });
  headers.emplace_back(serving::kRequestIdHeader, ctx.request_id());
  headers.emplace_back(serving::kTraceParentHeader, ctx.traceparent());
  if (!ctx.tracestate().empty()) {
    headers.emplace_back(serving::kTraceStateHeader, ctx.tracestate());
  }
}

// Adds x-request-id to what Ferry's in-process front routes (oauth2-proxy,
// dashboard) answer, whatever way they answer.
class StampingSink : public http::ForwardingSink {
 public:
  StampingSink(http::Responder inner, std::string request_id)
      : ForwardingSink(std::move(inner)), request_id_(std::move(request_id)) {}
  void Send(http::HttpResponse r) override {
    r.headers.emplace_back(serving::kRequestIdHeader, request_id_);
    inner().Send(std::move(r));
  }
  void StartStream(http::HttpResponse head) override {
    head.headers.emplace_back(serving::kRequestIdHeader, request_id_);
    inner().StartStream(std::move(head));
  }

 private:
  std::string request_id_;
};

// The parked form of an HTTP request: owns it until it is answered.
class HttpParked : public PipelineCall {
 public:
  HttpParked(IngressHandler* handler, http::HttpRequest request, http::Responder responder,
             serving::RequestContext context)
      : handler_(handler),
        request_(std::move(request)),
        responder_(std::move(responder)),
        context_(std::move(context)) {}

  GatewayInput Input() const override { return handler_->InputFor(request_); }
  HeaderList& Headers() override { return request_.headers; }
  void Post(std::function<void()> fn) override { responder_.Post(std::move(fn)); }
  void Finish(GatewayOutcome& outcome) override {
    handler_->Dispatch(request_, responder_, outcome, progress.view, std::move(context_));
  }
  void Abandon(const Status& why) override {
    handler_->Answer(
        request_, responder_, context_,
        http::HttpResponse::Json(serving::HttpStatusFor(why.code()), ErrorBody(why.message())));
  }

 private:
  IngressHandler* handler_;
  http::HttpRequest request_;
  http::Responder responder_;
  serving::RequestContext context_;
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
  if (route.is_graph) {
    return http::HttpResponse::Json(
        503, ErrorBody("InferenceGraph " + route.name_space + "/" + route.name +
                       " is not ready: " + route.not_ready_reason + " (kubectl describe ig " +
                       route.name + " -n " + route.name_space + ")"));
  }
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
  serving::RequestContext context = server::RequestContextOf(req);
  SetIdentityHeaders(context, req.headers);
  GatewayProgress progress;
  GatewayOutcome out = pipeline().Evaluate(InputFor(req), req.headers, progress);
  if (out.kind == GatewayOutcome::Kind::kPending) {
    return Park(req, std::move(responder), std::move(progress), std::move(out.pending),
                std::move(context));
  }
  Dispatch(req, std::move(responder), out, progress.view, std::move(context));
}

void IngressHandler::Answer(const http::HttpRequest& req, const http::Responder& responder,
                            const serving::RequestContext& context,
                            http::HttpResponse response) const {
  response.headers.emplace_back(serving::kRequestIdHeader, context.request_id());
  if (access_log_ != nullptr) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count();
    access_log_->Log(req.remote_address, req.method, req.target, response.status,
                     response.body.size(), seconds, context.request_id(), context.traceparent());
  }
  responder.Send(std::move(response));
}

void IngressHandler::Park(http::HttpRequest& req, http::Responder responder,
                          GatewayProgress progress, gateway::PendingWork work,
                          serving::RequestContext context) {
  auto call =
      std::make_shared<HttpParked>(this, std::move(req), responder, std::move(context));
  call->progress = std::move(progress);
  if (parked_->Park(call, std::move(work)) == 0) return;  // refused: already answered
  // A client that leaves stops the wait (the ext-authz call is cancelled).
  std::weak_ptr<PipelineCall> weak = call;
  responder.WatchClientGone([weak, parked = parked_] {
    if (auto c = weak.lock()) parked->Cancel(c->ticket.load(std::memory_order_acquire));
  });
}

void IngressHandler::Dispatch(http::HttpRequest& req, http::Responder responder,
                              GatewayOutcome& out, const GatewaySnapshots::View& view,
                              serving::RequestContext context) {
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied:
      return Answer(req, responder, context, DenialResponse(out.denial));
    case GatewayOutcome::Kind::kNoRoute:
      return Answer(req, responder, context, NoRouteResponse(out.host, external_));
    case GatewayOutcome::Kind::kNotReady:
      return Answer(req, responder, context, NotReadyResponse(*out.route));
    case GatewayOutcome::Kind::kPending:
      return Answer(req, responder, context,
                    http::HttpResponse::Json(500, ErrorBody("gateway: unexpected park")));
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
  if (out.destination != Destination::kModel) {
    http::Responder stamped(std::make_shared<StampingSink>(std::move(responder),
                                                           std::string(context.request_id())));
    if (out.destination == Destination::kOauth2) return front_->ServeOauth2(req, stamped);
    return front_->ServeDashboard(req, stamped);
  }
  if (out.route->is_graph) {
    http::Responder stamped(std::make_shared<StampingSink>(std::move(responder),
                                                           std::string(context.request_id())));
    return ServeGraph(*out.route, view, req, std::move(stamped), parked_, router_, context);
  }
  router_->HandleWith(out.revision->catalog, req, std::move(responder), std::move(context));
}

}  // namespace ferry::ingress
