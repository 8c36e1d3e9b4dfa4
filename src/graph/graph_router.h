// RunGraph: KServe's InferenceGraph router (cmd/router) as a pure engine over an asynchronous
// step call. Semantics, as KServe's router has them:
//   - the request enters at node `root`; a `nodeName` step runs that node on the same input;
//   - Sequence: steps in order; each gets the graph's input, or with `data: $response` the
//     previous step's output; a step's `condition` is evaluated on the previous step's output
//     (not JSON: 500 "invalid response"; no match: the previous output with status 500); a
//     failed Hard step ends the node with its body and status; the node answers the last
//     step's body and status;
//   - Switch: the first step whose condition matches the node's input runs (none: 404 "None of
//     the routes matched with the switch condition");
//   - Ensemble: every step at once on the node's input; the answer is one JSON object keyed by
//     step name (index when unnamed) holding each step's JSON object; the first failed Hard
//     step (in step order) answers instead; a step whose output is not a JSON object fails the
//     node with 500;
//   - Splitter: a roll in [0, 100) picks the step whose cumulative weight exceeds it.
// An error (not a step's own non-2xx answer) is answered {"error":"Failed to process
// request","cause":"..."} with its status, as the router's graphHandler does.
//
// The engine never waits: StepCaller::Call answers through its callback, from any thread, and
// the next step starts there. Callers: ingress's graph dispatch (steps through the gateway
// pipeline and the model router, in process) and the unit tests (a table of fake services).
// Ownership: RunGraph keeps the graph and the caller alive until `done` has run.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "graph/graph_spec.h"

namespace ferry::graph {

struct Reply {
  int status = 200;
  std::string body;
  // Non-empty: the call got no answer at all (KServe's router: the HTTP client's error); the
  // graph then fails with 500 and this as the cause.
  std::string error;
  bool known_json = false;  // the body is JSON (the model router said so): not parsed to check
};

class StepCaller {
 public:
  virtual ~StepCaller() = default;
  // Calls the service of `step` (host and path set) with `body`; `done` runs exactly once.
  virtual void Call(const Step& step, std::string body, std::function<void(Reply)> done) = 0;
  // A number in [0, 100) for a Splitter's pick (tests seed it).
  virtual int Roll() = 0;
};

// Runs `graph` on `input`; `done` gets the graph's answer. `json_body` in the reply says whether
// the body is JSON (the router then sets Content-Type: application/json).
struct GraphReply {
  int status = 200;
  std::string body;
  bool json_body = true;
};
void RunGraph(std::shared_ptr<const Graph> graph, std::string input,
              std::shared_ptr<StepCaller> caller, std::function<void(GraphReply)> done);

// The router's error body: {"error":"Failed to process request","cause":CAUSE}.
std::string RoutingErrorBody(const std::string& cause);

}  // namespace ferry::graph
