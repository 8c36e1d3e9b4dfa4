#include "main/pod_usage.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "controller/route_table.h"

namespace ferry::main {
namespace {

constexpr char kMain[] = "kserve-container";

uint64_t ProcessCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t ResidentBytes() {
  unsigned long long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// The machine's busy CPU time (all CPUs, /proc/stat's first line: user, nice, system, irq,
// softirq, steal), in ns.
uint64_t MachineBusyNs() {
  FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return 0;
  unsigned long long v[8] = {};
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                      &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n < 8) return 0;
  uint64_t ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // not idle (3), not iowait (4)
  return ticks * (1000000000ULL / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

// The machine's memory in use: MemTotal - MemAvailable (/proc/meminfo), in bytes.
uint64_t MachineMemoryInUse() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  unsigned long long total = 0, available = 0, kb = 0;
  char key[64];
  while (std::fscanf(f, "%63s %llu kB", key, &kb) == 2) {
    if (std::string_view(key) == "MemTotal:") total = kb;
    if (std::string_view(key) == "MemAvailable:") available = kb;
  }
  std::fclose(f);
  return total > available ? (total - available) * 1024 : 0;
}

std::string Label(const nlohmann::json& pod, const char* key) {
  auto meta = pod.find("metadata");
  if (meta == pod.end() || !meta->contains("labels")) return "";
  const nlohmann::json& labels = (*meta)["labels"];
  auto it = labels.find(key);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

// The model entry serving `pod`, or null.
const serving::ModelEntry* EntryOf(const controller::RouteTable& routes,
                                   const nlohmann::json& pod) {
  std::string ns = pod["metadata"].value("namespace", "");
  std::string isvc = Label(pod, "serving.kserve.io/inferenceservice");
  std::string revision = Label(pod, "serving.knative.dev/revision");
  if (isvc.empty() || revision.empty()) return nullptr;
  const controller::ServiceRoute* route =
      routes.FindInternal(controller::InternalHosts(isvc, ns).front());
  if (route == nullptr) return nullptr;
  for (const auto& r : route->revisions) {
    if (r.revision != revision || !r.catalog || r.catalog->models.empty()) continue;
    const serving::ModelEntry* e = r.catalog->models.front().get();
    return e->state == serving::ModelEntry::State::kReady ? e : nullptr;
  }
  return nullptr;
}

uint64_t Delta(uint64_t last, uint64_t base) { return last >= base ? last - base : last; }

}  // namespace

PodUsageSampler::PodUsageSampler(const ingress::GatewaySnapshots* snapshots)
    : snapshots_(snapshots) {
  base_ = Take({});  // the first read reports the usage since start
}

PodUsageSampler::Sample PodUsageSampler::Take(const std::vector<nlohmann::json>& pods) const {
  Sample s;
  s.at = std::chrono::steady_clock::now();
  s.wall = std::chrono::system_clock::now();
  s.process_cpu_ns = ProcessCpuNs();
  s.rss_bytes = ResidentBytes();
  s.machine_busy_ns = MachineBusyNs();
  s.machine_memory_bytes = MachineMemoryInUse();
  auto routes = snapshots_->Load().routes;
  if (!routes) return s;
  for (const nlohmann::json& pod : pods) {
    const serving::ModelEntry* e = EntryOf(*routes, pod);
    if (e == nullptr) continue;
    std::string key = pod["metadata"].value("namespace", "") + "/" +
                      pod["metadata"].value("name", "");
    s.pods[key] = {e->predict_ns.load(std::memory_order_relaxed),
                   e->predicts.load(std::memory_order_relaxed), e->memory_bytes};
  }
  return s;
}

api::UsageReport PodUsageSampler::Attribute(const Sample& base, const Sample& last) {
  api::UsageReport report;
  report.timestamp = last.wall;
  auto window = std::chrono::duration_cast<std::chrono::milliseconds>(last.at - base.at);
  report.window = std::max(window, std::chrono::milliseconds(1));
  double seconds = static_cast<double>(report.window.count()) / 1000.0;
  if (last.machine_busy_ns > 0) {
    report.node = api::NodeUsage{
        static_cast<uint64_t>(
            static_cast<double>(Delta(last.machine_busy_ns, base.machine_busy_ns)) / seconds),
        last.machine_memory_bytes};
  }
  if (last.pods.empty()) return report;
  struct Use {
    uint64_t predict_ns, predicts;
  };
  std::map<std::string, Use> use;
  uint64_t sum_predict = 0, sum_predicts = 0, sum_memory = 0;
  for (const auto& [key, c] : last.pods) {
    auto b = base.pods.find(key);
    Counters from = b == base.pods.end() ? Counters{} : b->second;
    Use u{Delta(c.predict_ns, from.predict_ns), Delta(c.predicts, from.predicts)};
    sum_predict += u.predict_ns;
    sum_predicts += u.predicts;
    sum_memory += c.memory_bytes;
    use[key] = u;
  }
  uint64_t process = Delta(last.process_cpu_ns, base.process_cpu_ns);
  uint64_t rest = process > sum_predict ? process - sum_predict : 0;
  uint64_t rest_memory = last.rss_bytes > sum_memory ? last.rss_bytes - sum_memory : 0;
  double n = static_cast<double>(last.pods.size());
  for (const auto& [key, c] : last.pods) {
    const Use& u = use[key];
    double share = sum_predicts > 0 ? static_cast<double>(rest) * static_cast<double>(u.predicts) /
                                          static_cast<double>(sum_predicts)
                                    : static_cast<double>(rest) / n;
    double cpu_ns = static_cast<double>(u.predict_ns) + share;
    api::ContainerUsage main{kMain, static_cast<uint64_t>(cpu_ns / seconds),
                             c.memory_bytes + static_cast<uint64_t>(rest_memory / n)};
    report.pods[key].containers.push_back(std::move(main));
  }
  return report;
}

api::UsageReport PodUsageSampler::Report(const std::vector<nlohmann::json>& pods) {
  Sample fresh = Take(pods);
  std::lock_guard<std::mutex> lock(mu_);
  if (!have_last_ || fresh.at - last_.at >= std::chrono::seconds(1)) {
    if (have_last_) base_ = std::move(last_);
    last_ = std::move(fresh);
    have_last_ = true;
  } else {
    // Too soon for a new window: the last one, with the pods seen now (a new pod joins the
    // next window).
    for (auto it = last_.pods.begin(); it != last_.pods.end();) {
      it = fresh.pods.count(it->first) ? std::next(it) : last_.pods.erase(it);
    }
  }
  return Attribute(base_, last_);
}

}  // namespace ferry::main
