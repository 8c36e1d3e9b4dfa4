// ServeGraph: an InferenceGraph's router, in process. The gateway routed a request to a
// graph's host (external or cluster-local) after the ingress gateway's and the graph
// workload's policies; this runs the graph (graph/graph_router.h) with each step called as
// KServe's router would call it — a POST of JSON to the step's cluster-local host and model
// path, through the cluster-local gateway pipeline with the router's identity as mTLS peer
// (its ServiceAccount's principal), so each step's InferenceService policies decide as they
// would for the router pod (a denial is the step's 403) — and then straight into the model
// router with the step's catalog: no HTTP hop, no socket.
//
// GET /readyz answers 200 like the router's readiness endpoint; every other request runs the
// graph on its body. Steps whose policies wait on a network peer (ext-authz, JWKS) park like
// any request (ParkedCalls) and the graph continues when they resume.
//
// Threads: called on an I/O thread; steps continue on whichever thread answers the previous
// one (I/O, a model executor, the parked-call resumption) and the client is answered from
// there. Everything borrowed must outlive the listeners.
#pragma once

#include "controller/route_table.h"
#include "http/http_types.h"
#include "ingress/parked_calls.h"
#include "server/model_router.h"
#include "serving/request_context.h"

namespace ferry::ingress {

// `view`: the snapshots the graph's request was routed with; its steps use them too.
// `context`: the graph request's id and trace, which every step carries on (a span each).
void ServeGraph(const controller::ServiceRoute& route, const GatewaySnapshots::View& view,
                http::HttpRequest& request, http::Responder responder, ParkedCalls* parked,
                server::ModelRouter* router, const serving::RequestContext& context);

}  // namespace ferry::ingress
