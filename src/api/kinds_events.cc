// Events: core v1 Event (what controllers write and `kubectl get events`,
// `kubectl events` and `describe` read) with kube-apiserver's event printer
// columns, and the same objects as events.k8s.io/v1 (regarding, note,
// deprecated* fields), served read-only from the same store.
#include <chrono>

#include "api/encoding.h"
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

std::string SinceOr(const json& obj, std::initializer_list<const char*> fields) {
  for (const char* f : fields) {
    std::chrono::system_clock::time_point t;
    if (ParseRfc3339(StringAt(obj, f), &t)) {
      return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now() - t));
    }
  }
  return "<unknown>";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// kube-apiserver's printEvent (wide: the server sends every column).
json EventCells(const json& ev) {
  std::string first = SinceOr(ev, {"firstTimestamp", "eventTime"});
  std::string last = SinceOr(ev, {"series.lastObservedTime", "lastTimestamp", "firstTimestamp",
                                  "eventTime"});
  int64_t count = At(ev, "series.count").is_number()
                      ? At(ev, "series.count").get<int64_t>()
                      : (At(ev, "count").is_number() ? At(ev, "count").get<int64_t>() : 0);
  if (count == 0) count = 1;
  std::string name = StringAt(ev, "involvedObject.name");
  std::string kind = Lower(StringAt(ev, "involvedObject.kind"));
  std::string target = name.empty() ? kind : kind + "/" + name;
  std::string source = StringAt(ev, "source.component");
  if (source.empty()) source = StringAt(ev, "reportingComponent");
  std::string host = StringAt(ev, "source.host");
  if (host.empty()) host = StringAt(ev, "reportingInstance");
  if (!host.empty() && !source.empty()) source += ", " + host;
  return json::array({last, StringAt(ev, "type"), StringAt(ev, "reason"), target,
                      StringAt(ev, "involvedObject.fieldPath"), source,
                      Trim(StringAt(ev, "message")), first, count,
                      StringAt(ev, "metadata.name")});
}

void Rename(json& obj, const char* from, const char* to) {
  auto it = obj.find(from);
  if (it == obj.end()) return;
  json v = std::move(*it);
  obj.erase(from);
  if (!v.is_null()) obj[to] = std::move(v);
}

// core v1 → events.k8s.io/v1, as kube-apiserver converts.
json ToEventsV1(const json& core) {
  json out = core;
  Rename(out, "involvedObject", "regarding");
  Rename(out, "message", "note");
  Rename(out, "count", "deprecatedCount");
  Rename(out, "firstTimestamp", "deprecatedFirstTimestamp");
  Rename(out, "lastTimestamp", "deprecatedLastTimestamp");
  Rename(out, "source", "deprecatedSource");
  Rename(out, "reportingComponent", "reportingController");
  Rename(out, "relatedObject", "related");
  if (!out.contains("eventTime") || out["eventTime"].is_null()) {
    // eventTime is required in events.k8s.io/v1: the first time for old-style Events.
    std::string first = StringAt(core, "firstTimestamp");
    out["eventTime"] = first.empty() ? json() : json(first.substr(0, first.size() - 1) + ".000000Z");
  }
  return out;
}

KindInfo BaseEvent() {
  KindInfo ev;
  ev.plural = "events";
  ev.singular = "event";
  ev.kind = "Event";
  ev.short_names = {"ev"};
  ev.columns = {{"Last Seen"},
                {"Type"},
                {"Reason"},
                {"Object"},
                {"Subobject", "string", 1},
                {"Source", "string", 1},
                {"Message"},
                {"First Seen", "string", 1},
                {"Count", "integer", 1},
                {"Name", "string", 1}};
  ev.name_column = false;  // kube's event table: Name last, wide only; no Age
  ev.age_column = false;
  ev.cells = EventCells;
  return ev;
}

}  // namespace

void AddEventKinds(std::vector<KindInfo>* kinds) {
  KindInfo core = BaseEvent();
  core.versions = {"v1"};
  core.strategic_merge = true;
  kinds->push_back(core);  // Events carry many top-level fields; no strict schema

  KindInfo v1 = BaseEvent();
  v1.group = "events.k8s.io";
  v1.versions = {"v1"};
  v1.short_names = {};
  v1.stored_as = "core/events";
  v1.convert_out = ToEventsV1;
  v1.cells = [](const json& ev) {
    // The table is built from the converted object: read the core fields back.
    json core = ev;
    Rename(core, "regarding", "involvedObject");
    Rename(core, "note", "message");
    Rename(core, "deprecatedCount", "count");
    Rename(core, "deprecatedFirstTimestamp", "firstTimestamp");
    Rename(core, "deprecatedLastTimestamp", "lastTimestamp");
    Rename(core, "deprecatedSource", "source");
    return EventCells(core);
  };
  v1.read_only_reason =
      "events.k8s.io/v1 is served read-only by Ferry (the same Events as core v1, written by "
      "its controller); use `kubectl get events` or `kubectl events`";
  v1.verbs = {"delete", "get", "list", "watch"};
  kinds->push_back(v1);
}

}  // namespace ferry::api
