// `ferry get`, `ferry describe` and `ferry logs`.
#include <ostream>

#include "cli/printers.h"
#include "cli/session.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

// Opens the session; prints the error and returns null on failure.
std::optional<Session> OpenOrReport(const CliFlags& flags, std::ostream& err) {
  auto s = Session::Open(flags);
  if (!s.ok()) {
    err << "error: " << s.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(s).value();
}

int Report(const Status& s, std::ostream& err) {
  err << s.message() << "\n";
  return 1;
}

int PrintStructured(const CliFlags& flags, json value, bool list, std::ostream& out) {
  if (list) {
    json items = value.value("items", json::array());
    value = {{"apiVersion", "v1"},
             {"items", items},
             {"kind", "List"},
             {"metadata", {{"resourceVersion", ""}}}};
  }
  if (flags.output == "json") {
    out << value.dump(4) << "\n";
  } else {
    out << ToYaml(value);
  }
  return 0;
}

int PrintNames(const Resource& r, const json& value, bool list, std::ostream& out) {
  auto print = [&](const json& o) {
    out << r.Display() << "/" << o["metadata"].value("name", "") << "\n";
  };
  if (!list) {
    print(value);
  } else {
    for (const auto& o : value.value("items", json::array())) print(o);
  }
  return 0;
}

}  // namespace

int RunGet(const CliFlags& flags, std::ostream& out, std::ostream& err) {
  if (!flags.output.empty() && flags.output != "yaml" && flags.output != "json" &&
      flags.output != "wide" && flags.output != "name") {
    err << "error: unable to match a printer suitable for the output format \"" << flags.output
        << "\", allowed formats are: json,name,wide,yaml\n";
    return 1;
  }
  auto s = OpenOrReport(flags, err);
  if (!s) return 1;
  Resource r;
  std::string name;
  if (Status st = s->ResolveArgs(flags.args, &r, &name); !st.ok()) return Report(st, err);
  bool all = flags.all_namespaces && name.empty() && r.namespaced;
  std::string ns = all || !r.namespaced ? "" : s->name_space;
  bool structured = flags.output == "yaml" || flags.output == "json" || flags.output == "name";
  std::string path = r.Path(ns, name) + (name.empty() ? "?limit=500" : "");
  auto body = GetJson(*s->client, path, structured ? "application/json" : kTableAccept);
  if (!body.ok()) return Report(body.status(), err);
  bool list = name.empty();
  if (flags.output == "name") return PrintNames(r, *body, list, out);
  if (structured) return PrintStructured(flags, *body, list, out);
  if (list && body->value("rows", json::array()).empty()) {
    err << (all || !r.namespaced ? "No resources found\n"
                                 : "No resources found in " + ns + " namespace.\n");
    return 0;
  }
  out << FormatTable(*body, flags.output == "wide", all);
  return 0;
}

int RunDescribe(const CliFlags& flags, std::ostream& out, std::ostream& err) {
  auto s = OpenOrReport(flags, err);
  if (!s) return 1;
  Resource r;
  std::string name;
  if (Status st = s->ResolveArgs(flags.args, &r, &name); !st.ok()) return Report(st, err);
  std::string ns = r.namespaced ? s->name_space : "";
  std::vector<json> objects;
  if (!name.empty()) {
    auto obj = GetJson(*s->client, r.Path(ns, name));
    if (!obj.ok()) return Report(obj.status(), err);
    objects.push_back(*obj);
  } else {
    auto list = GetJson(*s->client, r.Path(ns) + "?limit=500");
    if (!list.ok()) return Report(list.status(), err);
    for (const auto& o : list->value("items", json::array())) objects.push_back(o);
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    const json& obj = objects[i];
    if (i > 0) out << "\n\n";
    out << DescribeObject(obj);
    const json& meta = obj["metadata"];
    std::string events_ns = meta.value("namespace", "default");
    std::string selector = "involvedObject.name=" + meta.value("name", "") +
                           ",involvedObject.namespace=" + events_ns +
                           ",involvedObject.kind=" + r.kind;
    auto events = GetJson(*s->client, "/api/v1/namespaces/" + events_ns +
                                          "/events?limit=500&fieldSelector=" + selector);
    out << DescribeEvents(events.ok() ? *events : json::object());
  }
  return 0;
}

int RunLogs(const CliFlags& flags, std::ostream& out, std::ostream& err) {
  auto s = OpenOrReport(flags, err);
  if (!s) return 1;
  Resource r;
  std::string name;
  if (Status st = s->ResolveArgs(flags.args, &r, &name); !st.ok()) return Report(st, err);
  if (r.kind != "InferenceService" || name.empty()) {
    err << "error: ferry logs shows the model server log of an InferenceService: "
           "ferry logs isvc NAME [-n NAMESPACE]\n";
    return 1;
  }
  std::string path = r.Path(s->name_space, name) + "/log";
  if (flags.tail >= 0) path += "?tailLines=" + std::to_string(flags.tail);
  auto resp = s->client->Do("GET", path, "", "", "text/plain");
  if (!resp.ok()) return Report(resp.status(), err);
  if (resp->status / 100 != 2) return Report(ServerError(*resp), err);
  out << resp->body;
  return 0;
}

}  // namespace ferry::cli
