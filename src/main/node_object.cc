#include "main/node_object.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "api/encoding.h"
#include "controller/pod_view.h"

namespace ferry::main {
namespace {

using controller::kNodeName;
using nlohmann::json;

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// /etc/os-release's PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)").
std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return "Linux";
}

// uname's machine as Go's GOARCH names it.
std::string Arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "armv7l") return "arm";
  return machine;
}

uint64_t MemTotalKi() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  unsigned long long kb = 0;
  int n = std::fscanf(f, "MemTotal: %llu kB", &kb);
  std::fclose(f);
  return n == 1 ? kb : 0;
}

json Condition(const char* type, const char* status, const char* reason, const char* message,
               const std::string& now) {
  return {{"type", type},       {"status", status},         {"reason", reason},
          {"message", message}, {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
}

}  // namespace

json NodeObject(const std::string& address, const std::string& kubelet_version) {
  utsname u{};
  uname(&u);
  std::string arch = Arch(u.machine);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string now = api::Rfc3339(std::chrono::system_clock::now());
  json resources = {{"cpu", std::to_string(sysconf(_SC_NPROCESSORS_ONLN))},
                    {"memory", std::to_string(MemTotalKi()) + "Ki"},
                    {"pods", "110"}};
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", kNodeName},
            {"labels",
             {{"beta.kubernetes.io/arch", arch},
              {"beta.kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", arch},
              {"kubernetes.io/hostname", kNodeName},
              {"kubernetes.io/os", "linux"},
              {"node-role.kubernetes.io/control-plane", ""}}}}},
          {"spec", json::object()},
          {"status",
           {{"capacity", resources},
            {"allocatable", resources},
            {"conditions",
             json::array({Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                                    "kubelet has sufficient memory available", now),
                          Condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                                    "kubelet has no disk pressure", now),
                          Condition("PIDPressure", "False", "KubeletHasSufficientPID",
                                    "kubelet has sufficient PID available", now),
                          Condition("Ready", "True", "KubeletReady",
                                    "kubelet is posting ready status", now)})},
            {"addresses", json::array({{{"type", "InternalIP"}, {"address", address}},
                                       {{"type", "Hostname"}, {"address", std::string(host)}}})},
            {"nodeInfo",
             {{"machineID", FirstLine("/etc/machine-id")},
              {"systemUUID", FirstLine("/etc/machine-id")},
              {"bootID", FirstLine("/proc/sys/kernel/random/boot_id")},
              {"kernelVersion", std::string(u.release)},
              {"osImage", OsImage()},
              {"containerRuntimeVersion", std::string("ferry://") + FERRY_VERSION},
              {"kubeletVersion", kubelet_version},
              {"kubeProxyVersion", kubelet_version},
              {"operatingSystem", "linux"},
              {"architecture", arch}}}}}};
}

}  // namespace ferry::main
