// Graph: an InferenceGraph's spec (serving.kserve.io/v1alpha1) as Ferry acts on it — nodes,
// their router type and steps, conditions already parsed. ParseGraph checks everything KServe's
// validating webhook checks (a `root` node, one target per step, unique step names, Splitter
// weights summing to 100) and what Ferry must refuse rather than run differently: a condition
// outside the supported GJSON subset (condition.h), a `nodeName` that names no node or loops
// back, a `data` other than $request/$response, a Switch step without a condition, a
// `serviceUrl` that is not an InferenceService's cluster-local host (Ferry makes no outbound
// call from a serving thread; such steps run in process like `serviceName` ones).
//
// Callers: the API's admission (the errors, each naming its field) and the controller (the
// Graph it publishes with the routes, after resolving each `serviceName` to a host and path).
// Threads: a Graph is immutable once published.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "graph/condition.h"

namespace ferry::graph {

enum class RouterType { kSequence, kSwitch, kEnsemble, kSplitter };

struct Step {
  std::string name;  // `name` (KServe's StepName); may be empty
  std::string node_name;
  std::string service_name;
  std::string service_url;
  bool data_response = false;  // data: $response
  std::optional<Condition> condition;
  bool hard = false;  // dependency: Hard
  int64_t weight = 0;
  // Where a service step goes (cluster-local host, model path); serviceUrl steps get them from
  // the URL, serviceName steps from the controller (Resolve).
  std::string host;
  std::string path;
};

struct Node {
  RouterType type = RouterType::kSequence;
  std::vector<Step> steps;
};

struct Graph {
  std::string name_space;
  std::string name;
  std::map<std::string, Node, std::less<>> nodes;
};

struct SpecError {
  std::string field;  // e.g. spec.nodes.root.steps[1].condition
  std::string message;
};

struct ParsedGraph {
  Graph graph;
  std::vector<SpecError> errors;  // empty: the graph can be served
};

// `obj`: the InferenceGraph object (metadata and spec).
ParsedGraph ParseGraph(const nlohmann::json& obj);

// The model path a step to InferenceService `service` takes: KServe's predictor endpoint for
// the service's protocol ("v1" → /v1/models/NAME:predict, "v2" → /v2/models/NAME/infer).
std::string PredictPath(const std::string& service, bool v2);

// The cluster-local host of InferenceService `service` in `ns`.
std::string ClusterLocalHost(const std::string& service, const std::string& ns);

}  // namespace ferry::graph
