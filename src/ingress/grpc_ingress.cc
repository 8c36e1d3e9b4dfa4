#include "ingress/grpc_ingress.h"

#include "gateway/engine.h"

namespace ferry::ingress {
namespace {

GrpcRoute Denied(const gateway::Decision& d) {
  GrpcRoute out;
  if (d.close_connection) {
    out.status = UnavailableError("the connection was closed by a TCP AuthorizationPolicy");
    return out;
  }
  std::string body =
      d.body.empty() ? "access denied (HTTP " + std::to_string(d.status) + ")" : d.body;
  // A login page (oauth2-proxy) means nothing to a gRPC client: say what to send instead.
  if (d.content_type.find("html") != std::string::npos || body.rfind("<", 0) == 0) {
    body = "access denied by the gateway's login (HTTP " + std::to_string(d.status) +
           ", a sign-in page): gRPC clients send `authorization: Bearer TOKEN` metadata, e.g. "
           "TOKEN=$(kubectl create token default-editor -n NAMESPACE)";
  }
  out.status = Status(GrpcCodeForHttpStatus(d.status), std::move(body));
  for (const auto& h : d.downstream_headers) {
    if (h.name != "content-type" && h.name != "content-length" && h.name != "date" &&
        h.name != "server") {
      out.trailers.emplace_back(h.name, h.value);
    }
  }
  return out;
}

GrpcRoute ToRoute(const GatewayOutcome& out) {
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied:
      return Denied(out.denial);
    case GatewayOutcome::Kind::kNoRoute:
      return {
          nullptr,
          NotFoundError("no InferenceService has host `" + std::string(out.host) +
                        "`; set the channel's authority to the host of its URL "
                        "({isvc}.{namespace}.{domain}, or {isvc}.{namespace}.svc.cluster.local; "
                        "kubectl get inferenceservice -A shows them), e.g. grpc.insecure_channel"
                        "(addr, options=[('grpc.default_authority', host)])"),
          {}};
    case GatewayOutcome::Kind::kNotReady: {
      const controller::ServiceRoute& route = *out.route;
      return {nullptr,
              UnavailableError("InferenceService " + route.name_space + "/" + route.name +
                               " has no ready revision: " + route.not_ready_reason +
                               " (kubectl describe inferenceservice " + route.name + " -n " +
                               route.name_space + ")"),
              {}};
    }
    case GatewayOutcome::Kind::kPending:
      return {nullptr, InternalError("gateway: unexpected park"), {}};
    case GatewayOutcome::Kind::kRouted:
      break;
  }
  if (out.route->is_graph) {
    return {nullptr,
            UnimplementedError("InferenceGraph " + out.route->name_space + "/" + out.route->name +
                               " is served over HTTP only (KServe's router speaks JSON over "
                               "HTTP); POST the request to its URL"),
            {}};
  }
  return {out.revision->catalog, OkStatus(), {}};
}

GatewayInput InputOf(std::string_view authority, std::string_view path, std::string_view peer_ip,
                     uint32_t local_port) {
  GatewayInput in;
  in.listener = Listener::kGrpc;
  in.grpc = true;
  in.method = "POST";
  in.authority = authority;
  in.target = path;
  in.source_ip = peer_ip;
  in.local_port = local_port;
  return in;
}

// A parked call: owns copies of what the pipeline reads.
class GrpcParked : public PipelineCall {
 public:
  GrpcParked(const GrpcCall& call, const HeaderList& headers, std::unique_ptr<GrpcAnswer> answer)
      : authority_(call.authority),
        path_(call.path),
        peer_ip_(call.peer_ip),
        local_port_(call.local_port),
        headers_(headers),
        answer_(std::move(answer)) {}

  GatewayInput Input() const override { return InputOf(authority_, path_, peer_ip_, local_port_); }
  HeaderList& Headers() override { return headers_; }
  void Post(std::function<void()> fn) override { answer_->Post(std::move(fn)); }
  void Finish(GatewayOutcome& outcome) override { answer_->Answer(ToRoute(outcome)); }
  void Abandon(const Status& why) override { answer_->Answer({nullptr, why, {}}); }

 private:
  std::string authority_, path_, peer_ip_;
  uint32_t local_port_;
  HeaderList headers_;
  std::unique_ptr<GrpcAnswer> answer_;
};

}  // namespace

StatusCode GrpcCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInternal;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kUnknown;
  }
}

void GrpcIngress::Route(const GrpcCall& call, GrpcAnswer* answer) const {
  // Metadata as headers, in a per-thread list whose strings keep their buffers.
  thread_local HeaderList headers;
  headers.resize(call.metadata.size());
  for (size_t i = 0; i < call.metadata.size(); ++i) {
    headers[i].first.assign(call.metadata[i].name);
    headers[i].second.assign(call.metadata[i].value);
  }
  GatewayProgress progress;
  GatewayOutcome out = parked_->pipeline().Evaluate(
      InputOf(call.authority, call.path, call.peer_ip, call.local_port), headers, progress);
  if (out.kind != GatewayOutcome::Kind::kPending) return answer->Answer(ToRoute(out));
  auto parked = std::make_shared<GrpcParked>(call, headers, answer->Keep());
  parked->progress = std::move(progress);
  parked_->Park(parked, std::move(out.pending));
}

}  // namespace ferry::ingress
