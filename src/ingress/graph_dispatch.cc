#include "ingress/graph_dispatch.h"

#include <random>

#include "graph/graph_router.h"
#include "ingress/ingress_handler.h"
#include "protocol/v2_json.h"
#include "serving/http_status.h"
#include "serving/request_context.h"

namespace ferry::ingress {
namespace {

using StepDone = std::function<void(graph::Reply)>;

graph::Reply Answer(int status, std::string body) {
  graph::Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// No answer at all: the router's HTTP client error.
graph::Reply NoAnswer(std::string error) {
  graph::Reply r;
  r.error = std::move(error);
  return r;
}

// Where a step's model answers: the reply goes on to the graph instead of a socket.
class StepSink : public http::ResponseSink {
 public:
  explicit StepSink(StepDone done) : done_(std::move(done)) {}
  void Send(http::HttpResponse r) override {
    graph::Reply reply = Answer(r.status, std::move(r.body));
    reply.known_json = r.content_type == "application/json";
    done_(std::move(reply));
  }
  void StartStream(http::HttpResponse head) override { Send(std::move(head)); }
  bool WriteChunk(std::string) override { return false; }
  void EndStream() override {}

 private:
  StepDone done_;
};

// One step call as the router pod would make it: POST JSON to the step's cluster-local host,
// through the cluster-local gateway with the router's identity.
class StepCall : public PipelineCall {
 public:
  StepCall(server::ModelRouter* router, const std::string* principal,
           const serving::RequestContext* graph_context, http::Responder client,
           const graph::Step& step, std::string body, StepDone done)
      : router_(router),
        principal_(principal),
        client_(std::move(client)),
        host_(step.host),
        done_(std::move(done)) {
    request_.method = "POST";
    request_.target = step.path;
    http::SplitTarget(request_.target, &request_.path, &request_.query);
    // KServe's router sets Content-Type and propagates no other header by default (its
    // config's `headers.propagate` is empty).
    request_.headers = {{"host", step.host}, {"content-type", "application/json"}};
    // Ferry's own tracing goes on, though: a step carries the graph request's x-request-id and
    // continues its trace (a span of its own), so one call can be followed through its steps.
    request_.headers.emplace_back(serving::kRequestIdHeader,
                                  std::string(graph_context->request_id()));
    request_.headers.emplace_back(serving::kTraceParentHeader,
                                  std::string(graph_context->traceparent()));
    if (!graph_context->tracestate().empty()) {
      request_.headers.emplace_back(serving::kTraceStateHeader,
                                    std::string(graph_context->tracestate()));
    }
    request_.body = std::move(body);
    request_.remote_address = "127.0.0.1";
    request_.received = std::chrono::steady_clock::now();
  }

  GatewayInput Input() const override {
    GatewayInput in;
    in.listener = Listener::kInternal;
    in.method = request_.method;
    in.authority = host_;
    in.target = request_.target;
    in.source_ip = request_.remote_address;
    in.peer_principal = *principal_;
    return in;
  }
  HeaderList& Headers() override { return request_.headers; }
  void Post(std::function<void()> fn) override { client_.Post(std::move(fn)); }
  void Abandon(const Status& why) override {
    done_(Answer(serving::HttpStatusFor(why.code()), protocol::WriteJsonError(why.message())));
  }
  void Finish(GatewayOutcome& out) override {
    switch (out.kind) {
      case GatewayOutcome::Kind::kDenied:  // the step's policies: what its sidecar answers
        return done_(Answer(out.denial.status, out.denial.body));
      case GatewayOutcome::Kind::kNoRoute:  // in a cluster: the router's DNS lookup fails
        return done_(NoAnswer("Post \"http://" + host_ + request_.target + "\": dial tcp: lookup " +
                              host_ + ": no such host"));
      case GatewayOutcome::Kind::kNotReady:
        return done_(Answer(503, NotReadyResponse(*out.route).body));
      case GatewayOutcome::Kind::kPending:
        return done_(NoAnswer("gateway: unexpected park"));
      case GatewayOutcome::Kind::kRouted:
        break;
    }
    if (out.route->is_graph) {
      return done_(NoAnswer("step host " + host_ + " is InferenceGraph " + out.route->name_space +
                            "/" + out.route->name +
                            ": Ferry does not run a graph as a step of another graph; use a "
                            "nodeName step"));
    }
    serving::RequestContext context = serving::MakeRequestContext(
        request_.Header(serving::kRequestIdHeader), request_.Header(serving::kTraceParentHeader),
        request_.Header(serving::kTraceStateHeader));
    router_->HandleWith(out.revision->catalog, request_,
                        http::Responder(std::make_shared<StepSink>(std::move(done_))),
                        std::move(context));
  }

 private:
  server::ModelRouter* router_;
  const std::string* principal_;  // owned by the GraphSteps that made this call
  http::Responder client_;
  std::string host_;
  http::HttpRequest request_;
  StepDone done_;
};

class GraphSteps : public graph::StepCaller {
 public:
  GraphSteps(ParkedCalls* parked, server::ModelRouter* router, std::string principal,
             const GatewaySnapshots::View& view, http::Responder client,
             serving::RequestContext context)
      : parked_(parked),
        router_(router),
        principal_(std::move(principal)),
        view_(view),
        client_(std::move(client)),
        context_(std::move(context)) {}

  void Call(const graph::Step& step, std::string body, StepDone done) override {
    // RunGraph keeps this caller (and the principal the call points to) alive until the graph
    // answers, which is after every step's answer.
    auto call = std::make_shared<StepCall>(router_, &principal_, &context_, client_, step,
                                           std::move(body), std::move(done));
    call->progress.view = view_;  // no snapshot load (a mutex) per step
    call->progress.loaded = true;
    GatewayOutcome out =
        parked_->pipeline().Evaluate(call->Input(), call->Headers(), call->progress);
    if (out.kind == GatewayOutcome::Kind::kPending) {
      parked_->Park(call, std::move(out.pending));  // resumes (or abandons) the call itself
      return;
    }
    call->Finish(out);
  }

  int Roll() override {
    thread_local std::minstd_rand rng(std::random_device{}());
    return static_cast<int>(rng() % 100);
  }

 private:
  ParkedCalls* parked_;
  server::ModelRouter* router_;
  std::string principal_;
  GatewaySnapshots::View view_;
  http::Responder client_;
  serving::RequestContext context_;  // the graph request's; steps continue it
};

}  // namespace

void ServeGraph(const controller::ServiceRoute& route, const GatewaySnapshots::View& view,
                http::HttpRequest& request, http::Responder responder, ParkedCalls* parked,
                server::ModelRouter* router, const serving::RequestContext& context) {
  if (request.method == "GET" && request.path == "/readyz") {
    return responder.Send(http::HttpResponse::Text(200, ""));
  }
  auto steps = std::make_shared<GraphSteps>(parked, router, route.graph_principal, view, responder,
                                            context);
  graph::RunGraph(route.graph, std::move(request.body), steps, [responder](graph::GraphReply r) {
    http::HttpResponse resp;
    resp.status = r.status;
    resp.content_type = r.json_body ? "application/json" : "text/plain; charset=utf-8";
    resp.body = std::move(r.body);
    responder.Send(std::move(resp));
  });
}

}  // namespace ferry::ingress
