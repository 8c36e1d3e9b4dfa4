// serving.knative.dev/v1 Service (ksvc), Configuration, Route and Revision:
// read-only views the controller writes from each InferenceService's state
// (controller/knative_view.h), with the printer columns of Knative's CRDs
// (config/core/300-resources/*.yaml).
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// jsonPath .status.conditions[?(@.type=='Ready')].<field>
std::string ReadyField(const json& obj, const char* field) {
  const json& conds = At(obj, "status.conditions");
  if (!conds.is_array()) return "";
  for (const json& c : conds) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value(field, "");
  }
  return "";
}

json Cell(const std::string& s) { return s.empty() ? json() : json(s); }
json IntCell(const json& v) { return v.is_number() ? v : json(); }

std::string Label(const json& obj, const char* key) {
  const json& labels = At(obj, "metadata.labels");
  return labels.is_object() ? labels.value(key, "") : "";
}

KindInfo Knative(std::string plural, std::string kind, std::vector<std::string> short_names) {
  KindInfo k;
  k.group = "serving.knative.dev";
  k.versions = {"v1"};
  k.singular = kind;
  for (char& c : k.singular) c = static_cast<char>(std::tolower(c));
  k.plural = std::move(plural);
  k.kind = std::move(kind);
  k.short_names = std::move(short_names);
  k.categories = {"all", "knative", "serving"};
  k.verbs = {"get", "list", "watch"};
  k.read_only_delete = false;
  k.read_only_reason =
      "Ferry derives Knative objects from InferenceServices and shows them read-only; change "
      "the InferenceService (kubectl edit isvc) instead";
  k.schema = R"({"spec":"*","status":"*"})";
  return k;
}

}  // namespace

void AddKnativeKinds(std::vector<KindInfo>* kinds) {
  KindInfo ksvc = Knative("services", "Service", {"kservice", "ksvc"});
  ksvc.columns = {{"URL"}, {"LatestCreated"}, {"LatestReady"}, {"Ready"}, {"Reason"}};
  ksvc.cells = [](const json& o) {
    return json::array({Cell(StringAt(o, "status.url")),
                        Cell(StringAt(o, "status.latestCreatedRevisionName")),
                        Cell(StringAt(o, "status.latestReadyRevisionName")),
                        Cell(ReadyField(o, "status")), Cell(ReadyField(o, "reason"))});
  };
  kinds->push_back(ksvc);

  KindInfo config = Knative("configurations", "Configuration", {"config", "cfg"});
  config.columns = {{"LatestCreated"}, {"LatestReady"}, {"Ready"}, {"Reason"}};
  config.cells = [](const json& o) {
    return json::array({Cell(StringAt(o, "status.latestCreatedRevisionName")),
                        Cell(StringAt(o, "status.latestReadyRevisionName")),
                        Cell(ReadyField(o, "status")), Cell(ReadyField(o, "reason"))});
  };
  kinds->push_back(config);

  KindInfo route = Knative("routes", "Route", {"rt"});
  route.columns = {{"URL"}, {"Ready"}, {"Reason"}};
  route.cells = [](const json& o) {
    return json::array({Cell(StringAt(o, "status.url")), Cell(ReadyField(o, "status")),
                        Cell(ReadyField(o, "reason"))});
  };
  kinds->push_back(route);

  KindInfo rev = Knative("revisions", "Revision", {"rev"});
  rev.columns = {{"Config Name"},       {"Generation"},
                 {"Ready"},             {"Reason"},
                 {"Actual Replicas", "integer"}, {"Desired Replicas", "integer"}};
  rev.cells = [](const json& o) {
    return json::array({Cell(Label(o, "serving.knative.dev/configuration")),
                        Cell(Label(o, "serving.knative.dev/configurationGeneration")),
                        Cell(ReadyField(o, "status")), Cell(ReadyField(o, "reason")),
                        IntCell(At(o, "status.actualReplicas")),
                        IntCell(At(o, "status.desiredReplicas"))});
  };
  kinds->push_back(rev);
}

}  // namespace ferry::api
