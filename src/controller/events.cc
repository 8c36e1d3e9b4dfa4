#include "controller/events.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/encoding.h"

namespace ferry::controller {

std::string NowRfc3339() { return api::Rfc3339(std::chrono::system_clock::now()); }

void EventRecorder::Log(const IsvcState& st, const std::string& line) {
  if (logs_ != nullptr) logs_->Append(st.ns, st.name, line);
}

void EventRecorder::Record(const IsvcState& st, const std::string& type, const std::string& reason,
                           const std::string& message) {
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx%04x",
                static_cast<unsigned long long>(std::time(nullptr)), ++seq_ & 0xffff);
  std::string now = NowRfc3339();
  nlohmann::json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", st.name + suffix}, {"namespace", st.ns}}},
      {"involvedObject",
       {{"apiVersion", "serving.kserve.io/v1beta1"},
        {"kind", "InferenceService"},
        {"name", st.name},
        {"namespace", st.ns},
        {"uid", st.uid}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"source", {{"component", "ferry-controller"}}},
  };
  Log(st, reason + ": " + message);
  auto res = client_->Create(ev);
  if (!res.ok()) {
    std::fprintf(stderr, "ferry: event not recorded: %s\n", res.status().message().c_str());
  }
}

}  // namespace ferry::controller
