// `ferry apply -f FILE|-`: kubectl's client-side apply. The manifest is
// stored in the kubectl.kubernetes.io/last-applied-configuration annotation
// (the same one kubectl uses, so both tools can take turns); an update is a
// three-way JSON merge patch: fields removed since the last apply are
// deleted, fields that differ from the live object are set, fields others
// added (status, server defaults) are left alone.
#include <functional>
#include <ostream>

#include "cli/session.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// Fields of `modified` that differ from `current` (no deletions).
json Changes(const json& current, const json& modified) {
  json patch = json::object();
  for (auto& [k, v] : modified.items()) {
    if (!current.is_object() || !current.contains(k)) {
      patch[k] = v;
    } else if (v.is_object() && current[k].is_object()) {
      json sub = Changes(current[k], v);
      if (!sub.empty()) patch[k] = sub;
    } else if (current[k] != v) {
      patch[k] = v;
    }
  }
  return patch;
}

// Nulls for fields of `original` that `modified` no longer has.
json Deletions(const json& original, const json& modified) {
  json patch = json::object();
  if (!original.is_object()) return patch;
  for (auto& [k, v] : original.items()) {
    if (!modified.contains(k)) {
      patch[k] = nullptr;
    } else if (v.is_object() && modified[k].is_object()) {
      json sub = Deletions(v, modified[k]);
      if (!sub.empty()) patch[k] = sub;
    }
  }
  return patch;
}

json ThreeWayPatch(const json& original, const json& modified, const json& current) {
  json patch = Deletions(original, modified);
  json changes = Changes(current, modified);
  std::function<void(json&, const json&)> merge = [&](json& into, const json& from) {
    for (auto& [k, v] : from.items()) {
      if (v.is_object() && into.contains(k) && into[k].is_object()) {
        merge(into[k], v);
      } else {
        into[k] = v;
      }
    }
  };
  merge(patch, changes);
  return patch;
}

// The manifest with namespace and the last-applied annotation, as sent.
json WithLastApplied(json object, const std::string& ns, bool namespaced) {
  if (namespaced) object["metadata"]["namespace"] = ns;
  if (object["metadata"].contains("annotations")) {
    object["metadata"]["annotations"].erase(kLastApplied);
  }
  std::string last = object.dump();
  object["metadata"]["annotations"][kLastApplied] = last;
  return object;
}

Status ApplyOne(Session& s, const Manifest& m, std::ostream& out) {
  const json& obj = m.object;
  std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  if (name.empty()) {
    return InvalidArgumentError("error: " + m.source + ": a " + obj.value("kind", "object") +
                                " without metadata.name; give every object a name");
  }
  ASSIGN_OR_RETURN(Resource r,
                   s.discovery.ForKind(obj.value("apiVersion", ""), obj.value("kind", "")));
  std::string ns = s.NamespaceOf(obj);
  json modified = WithLastApplied(obj, ns, r.namespaced);
  ApiClient& c = *s.client;
  ASSIGN_OR_RETURN(ApiResponse got, c.Do("GET", r.Path(ns, name)));
  std::string id = r.Display() + "/" + name;
  if (got.status == 404) {
    ASSIGN_OR_RETURN(ApiResponse created, c.Do("POST", r.Path(ns) + "?fieldManager=ferry-apply",
                                               modified.dump(), "application/json"));
    if (created.status / 100 != 2) return ServerError(created);
    out << id << " created\n";
    return OkStatus();
  }
  if (got.status / 100 != 2) return ServerError(got);
  json current = json::parse(got.body);
  json original = json::object();
  const json& annotations = current["metadata"].value("annotations", json::object());
  if (annotations.contains(kLastApplied) && annotations[kLastApplied].is_string()) {
    original = json::parse(annotations[kLastApplied].get<std::string>(), nullptr, false);
    if (original.is_discarded()) original = json::object();
  }
  json patch = ThreeWayPatch(original, modified, current);
  if (patch.empty()) {
    out << id << " unchanged\n";
    return OkStatus();
  }
  ASSIGN_OR_RETURN(ApiResponse patched,
                   c.Do("PATCH", r.Path(ns, name) + "?fieldManager=ferry-apply", patch.dump(),
                        "application/merge-patch+json"));
  if (patched.status / 100 != 2) return ServerError(patched);
  json after = json::parse(patched.body, nullptr, false);
  bool same = after.is_object() && after["metadata"].value("resourceVersion", "") ==
                                       current["metadata"].value("resourceVersion", "");
  out << id << (same ? " unchanged\n" : " configured\n");
  return OkStatus();
}

}  // namespace

int RunApply(const CliFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.files.empty()) {
    err << "error: must specify one of -f (a file, a directory is not supported, or - for stdin)\n";
    return 1;
  }
  auto manifests = ReadManifests(flags.files);
  if (!manifests.ok()) {
    err << manifests.status().message() << "\n";
    return 1;
  }
  auto session = Session::Open(flags);
  if (!session.ok()) {
    err << "error: " << session.status().message() << "\n";
    return 1;
  }
  int rc = 0;
  for (const Manifest& m : *manifests) {
    Status s = ApplyOne(*session, m, out);
    if (!s.ok()) {
      err << s.message() << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace ferry::cli
