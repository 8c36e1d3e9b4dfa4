#include "graph/graph_spec.h"

#include <set>

namespace ferry::graph {
namespace {

using nlohmann::json;

std::string StringField(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// serviceUrl: only an InferenceService's cluster-local host and a model path, routed in process.
std::optional<std::string> SplitServiceUrl(const std::string& url, Step* step) {
  const std::string fix =
      "; Ferry runs graph steps in process and makes no outbound call from a serving thread: "
      "use serviceName, or the InferenceService's cluster-local URL "
      "(http://NAME.NAMESPACE.svc.cluster.local/v1/models/NAME:predict)";
  std::string_view u = url;
  if (u.substr(0, 7) != "http://") {
    return "serviceUrl `" + url + "` is not an http:// URL of an InferenceService in Ferry" + fix;
  }
  u.remove_prefix(7);
  size_t slash = u.find('/');
  std::string host(u.substr(0, slash));
  host = host.substr(0, host.find(':'));
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string path = slash == std::string_view::npos ? "" : std::string(u.substr(slash));
  size_t dots = std::count(host.begin(), host.end(), '.');
  bool local =
      (EndsWith(host, ".svc.cluster.local") && dots == 4) || (EndsWith(host, ".svc") && dots == 2);
  if (!local)
    return "serviceUrl `" + url + "` names host `" + host + "`, which is outside Ferry" + fix;
  if (path.substr(0, 4) != "/v1/" && path.substr(0, 4) != "/v2/") {
    return "serviceUrl `" + url +
           "` has no model path (/v1/models/NAME:predict or "
           "/v2/models/NAME/infer)";
  }
  step->host = host;
  step->path = path;
  return std::nullopt;
}

void ParseStep(const json& s, const std::string& field, RouterType type, Step* step,
               std::vector<SpecError>* errors) {
  step->name = StringField(s, "name");
  step->node_name = StringField(s, "nodeName");
  step->service_name = StringField(s, "serviceName");
  step->service_url = StringField(s, "serviceUrl");
  int targets = !step->node_name.empty() + !step->service_name.empty() + !step->service_url.empty();
  if (targets == 0) {
    errors->push_back({field,
                       "the step names no inference target: set one of serviceName, "
                       "nodeName or serviceUrl"});
  } else if (targets > 1) {
    errors->push_back({field,
                       "the step sets more than one of nodeName, serviceName, serviceUrl; "
                       "keep one"});
  }
  if (!step->service_url.empty()) {
    if (auto err = SplitServiceUrl(step->service_url, step)) {
      errors->push_back({field + ".serviceUrl", *err});
    }
  }
  std::string data = StringField(s, "data");
  if (data == "$response") {
    step->data_response = true;
  } else if (!data.empty() && data != "$request") {
    errors->push_back({field + ".data", "data `" + data +
                                            "` is not supported: KServe's router "
                                            "passes `$request` (the graph's input) or `$response` "
                                            "(the previous step's output)"});
  }
  std::string cond = StringField(s, "condition");
  if (!cond.empty()) {
    auto c = Condition::Parse(cond);
    if (c.ok()) {
      step->condition = std::move(*c);
    } else {
      errors->push_back({field + ".condition", std::string(c.status().message())});
    }
  } else if (type == RouterType::kSwitch) {
    errors->push_back({field + ".condition",
                       "a Switch step needs a condition (KServe's router "
                       "never picks a step without one)"});
  }
  step->hard = StringField(s, "dependency") == "Hard";
  if (auto w = s.find("weight"); w != s.end() && w->is_number_integer()) {
    step->weight = w->get<int64_t>();
  } else if (type == RouterType::kSplitter) {
    errors->push_back({field + ".weight",
                       "a Splitter step needs a weight (the weights of a "
                       "node add up to 100)"});
  }
}

// A nodeName chain that comes back to a node it left would recurse forever in the router.
void CheckReferences(const Graph& g, std::vector<SpecError>* errors) {
  for (const auto& [name, node] : g.nodes) {
    for (size_t i = 0; i < node.steps.size(); ++i) {
      const std::string& target = node.steps[i].node_name;
      if (!target.empty() && !g.nodes.count(target)) {
        errors->push_back({"spec.nodes." + name + ".steps[" + std::to_string(i) + "].nodeName",
                           "nodeName `" + target + "` names no node of this graph"});
      }
    }
  }
  // Depth-first walk from every node, looking for a back edge.
  std::map<std::string, int> state;  // 1 = on the stack, 2 = done
  std::function<bool(const std::string&)> visit = [&](const std::string& n) -> bool {
    state[n] = 1;
    auto it = g.nodes.find(n);
    if (it != g.nodes.end()) {
      for (const Step& s : it->second.steps) {
        if (s.node_name.empty() || !g.nodes.count(s.node_name)) continue;
        int st = state[s.node_name];
        if (st == 1) {
          errors->push_back({"spec.nodes." + n, "node `" + n + "` leads back to node `" +
                                                    s.node_name +
                                                    "` through nodeName steps: a "
                                                    "graph must not loop"});
          return true;
        }
        if (st == 0 && visit(s.node_name)) return true;
      }
    }
    state[n] = 2;
    return false;
  };
  for (const auto& [name, node] : g.nodes) {
    if (state[name] == 0 && visit(name)) return;
  }
}

}  // namespace

std::string PredictPath(const std::string& service, bool v2) {
  return v2 ? "/v2/models/" + service + "/infer" : "/v1/models/" + service + ":predict";
}

std::string ClusterLocalHost(const std::string& service, const std::string& ns) {
  return service + "." + ns + ".svc.cluster.local";
}

ParsedGraph ParseGraph(const json& obj) {
  ParsedGraph out;
  Graph& g = out.graph;
  const json& meta = obj.contains("metadata") ? obj["metadata"] : json::object();
  g.name_space = StringField(meta, "namespace");
  g.name = StringField(meta, "name");
  const json* nodes = nullptr;
  if (obj.contains("spec") && obj["spec"].is_object()) {
    auto it = obj["spec"].find("nodes");
    if (it != obj["spec"].end() && it->is_object()) nodes = &*it;
  }
  if (nodes == nullptr || nodes->empty()) {
    out.errors.push_back({"spec.nodes", "an InferenceGraph needs nodes, one of them `root`"});
    return out;
  }
  for (const auto& [name, n] : nodes->items()) {
    std::string field = "spec.nodes." + name;
    Node node;
    std::string type = n.is_object() ? StringField(n, "routerType") : "";
    if (type == "Sequence") {
      node.type = RouterType::kSequence;
    } else if (type == "Switch") {
      node.type = RouterType::kSwitch;
    } else if (type == "Ensemble") {
      node.type = RouterType::kEnsemble;
    } else if (type == "Splitter") {
      node.type = RouterType::kSplitter;
    } else {
      out.errors.push_back({field + ".routerType", "routerType `" + type +
                                                       "` is not one of "
                                                       "Sequence, Switch, Ensemble, Splitter"});
      continue;
    }
    json steps = n.value("steps", json::array());
    if (!steps.is_array()) {
      out.errors.push_back({field + ".steps", "steps must be a list"});
      steps = json::array();
    }
    std::set<std::string> names;
    int64_t total = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      std::string sf = field + ".steps[" + std::to_string(i) + "]";
      Step step;
      ParseStep(steps[i], sf, node.type, &step, &out.errors);
      if (!step.name.empty() && !names.insert(step.name).second) {
        out.errors.push_back(
            {sf + ".name", "node `" + name + "` has more than one step named `" + step.name + "`"});
      }
      total += step.weight;
      node.steps.push_back(std::move(step));
    }
    if (node.steps.empty()) {
      out.errors.push_back({field + ".steps", "node `" + name + "` has no steps"});
    }
    if (node.type == RouterType::kSplitter && total != 100) {
      out.errors.push_back(
          {field + ".steps", "splitter node `" + name +
                                 "`: the sum of traffic "
                                 "weights for all routing targets should be 100 (it "
                                 "is " +
                                 std::to_string(total) + ")"});
    }
    g.nodes.emplace(name, std::move(node));
  }
  if (!nodes->contains("root")) {
    out.errors.push_back({"spec.nodes",
                          "root node not found: the graph's entry node must be "
                          "named `root`"});
  }
  CheckReferences(g, &out.errors);
  return out;
}

}  // namespace ferry::graph
