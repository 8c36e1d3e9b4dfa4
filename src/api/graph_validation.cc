// InferenceGraph admission (serving.kserve.io/v1alpha1): KServe's validating webhook checks and
// Ferry's refusals (graph/graph_spec.h) as field errors, and a warning for every spec field that
// has no effect on one machine.
#include <regex>

#include "api/kinds.h"
#include "graph/graph_spec.h"

namespace ferry::api {

using nlohmann::json;

const std::vector<GraphSpecField>& InferenceGraphSpecFields() {
  static const std::vector<GraphSpecField> kFields = {
      {"nodes", true, "the graph's routers and steps"},
      {"serviceAccountName", true,
       "the identity the graph's steps are called with (default: the namespace's `default` "
       "ServiceAccount, as KServe's router pod runs)"},
      {"timeout", false, "Ferry bounds each step by its InferenceService's own timeout"},
      {"minReplicas", false, "one router in process, always running"},
      {"maxReplicas", false, "one router in process, always running"},
      {"scaleTarget", false, "one router in process, never scaled"},
      {"scaleMetric", false, "one router in process, never scaled"},
      {"resources", false, "the router runs inside Ferry's process"},
      {"affinity", false, "one machine: nothing to schedule"},
      {"nodeName", false, "one machine: nothing to schedule"},
      {"nodeSelector", false, "one machine: nothing to schedule"},
      {"tolerations", false, "one machine: nothing to schedule"},
  };
  return kFields;
}

std::vector<FieldError> ValidateInferenceGraph(const json& obj) {
  std::vector<FieldError> errs;
  static const std::regex kName("^[a-z]([-a-z0-9]*[a-z0-9])?$");
  std::string name = StringAt(obj, "metadata.name");
  if (!name.empty() && !std::regex_match(name, kName)) {
    errs.push_back({"metadata.name", "FieldValueInvalid",
                    "Invalid value: \"" + name +
                        "\": the InferenceGraph name must consist of "
                        "lower case alphanumeric characters or '-', start with a letter and end "
                        "with an alphanumeric character (regex [a-z]([-a-z0-9]*[a-z0-9])?)"});
  }
  for (const graph::SpecError& e : graph::ParseGraph(obj).errors) {
    errs.push_back({e.field, "FieldValueInvalid", "Invalid value: " + e.message});
  }
  return errs;
}

std::vector<std::string> InferenceGraphWarnings(const json& obj) {
  std::vector<std::string> out;
  const json& spec = At(obj, "spec");
  if (!spec.is_object()) return out;
  for (const GraphSpecField& f : InferenceGraphSpecFields()) {
    if (!f.honoured && spec.contains(f.name)) {
      out.push_back("InferenceGraph " + StringAt(obj, "metadata.name") + ": spec." + f.name +
                    " has no effect in Ferry (" + f.why + ")");
    }
  }
  return out;
}

}  // namespace ferry::api
