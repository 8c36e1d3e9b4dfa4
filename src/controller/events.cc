#include "controller/events.h"

#include <chrono>
#include <cstdio>

#include "api/encoding.h"
#include "api/isvc_logs.h"

namespace ferry::controller {
namespace {

constexpr size_t kMaxCorrelated = 4096;

}  // namespace

std::string NowRfc3339() { return api::Rfc3339(std::chrono::system_clock::now()); }

void EventRecorder::Log(const IsvcState& st, const std::string& line,
                        const api::LogSource& source) {
  if (logs_ != nullptr) logs_->Append(st.ns, st.name, source, line);
}

void EventRecorder::Record(const IsvcState& st, const std::string& type, const std::string& reason,
                           const std::string& message, const api::LogSource& source) {
  Log(st, reason + ": " + message, source);
  RecordFor({{"apiVersion", "serving.kserve.io/v1beta1"},
             {"kind", "InferenceService"},
             {"name", st.name},
             {"namespace", st.ns},
             {"uid", st.uid}},
            type, reason, message, "ferry-controller");
}

void EventRecorder::RecordFor(const nlohmann::json& involved, const std::string& type,
                              const std::string& reason, const std::string& message,
                              const std::string& component) {
  std::string ns = involved.value("namespace", "");
  std::string name = involved.value("name", "");
  std::string key = involved.dump() + "\n" + type + "\n" + reason + "\n" + message;
  auto now_tp = std::chrono::system_clock::now();
  std::string now = api::Rfc3339(now_tp);
  auto it = seen_.find(key);
  if (it != seen_.end()) {
    ++it->second.count;
    nlohmann::json patch = {{"count", it->second.count}, {"lastTimestamp", now}};
    auto res = client_->Patch("v1", "Event", ns, it->second.name, "application/merge-patch+json",
                              patch.dump());
    if (res.ok()) return;
    seen_.erase(it);  // deleted meanwhile: record it anew
  }
  // Kubernetes names Events "<object>.<hex of the Unix time in ns>": sorted by
  // name, an object's Events are in time order.
  long long nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now_tp.time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx", nanos);
  std::string event_name = name + suffix;
  nlohmann::json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", event_name}, {"namespace", ns}}},
      {"involvedObject", involved},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"eventTime", nullptr},
      {"source", {{"component", component}}},
      {"reportingComponent", component},
      {"reportingInstance", "ferry"},
  };
  if (component == "kubelet") ev["source"]["host"] = "ferry";
  auto res = client_->Create(ev);
  if (!res.ok()) {
    std::fprintf(stderr, "ferry: event not recorded: %s\n", res.status().message().c_str());
    return;
  }
  if (seen_.size() >= kMaxCorrelated) seen_.clear();
  seen_[key] = Seen{event_name, 1, now};
}

}  // namespace ferry::controller
