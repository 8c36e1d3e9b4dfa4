#include "main/pod_usage.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>

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
  double seconds = static_cast<double>(report.window.count()) / 1000.0;
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
