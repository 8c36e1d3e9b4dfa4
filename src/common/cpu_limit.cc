#include "common/cpu_limit.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace ferry {
namespace {

// With open/read rather than an ifstream: this runs before `ferry serve` is ready, and a
// stream's locale setup cost more than the reads themselves.
std::optional<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 4096) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // Read in 4 KB pieces rather than into a zeroed max_bytes + 1 buffer: /proc/self/cgroup
  // may be read up to 64 KB, and is a few dozen bytes.
  std::string text;
  char chunk[4096];
  while (text.size() <= max_bytes) {
    ssize_t n = ::read(fd, chunk, std::min(sizeof(chunk), max_bytes + 1 - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.size() > max_bytes) return std::nullopt;
  text.resize(std::min(text.size(), text.find('\0')));  // as getline(.., '\0') stopped there
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::optional<long long> ParseInt(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The pieces of `text` between `sep`s, as std::getline(stream, piece, sep) yields them: no
// piece after a trailing separator, none at all for empty text.
std::vector<std::string_view> SplitOn(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t end = text.find(sep);
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

// "150000 100000" -> 1.5; "max 100000" or anything malformed -> nullopt.
std::optional<double> ParseCpuMax(std::string_view text) {
  size_t sp = text.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto quota = ParseInt(text.substr(0, sp));
  auto period = ParseInt(text.substr(sp + 1));
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

// The cgroup path and its ancestors, deepest first: "/a/b" -> "/a/b", "/a", "".
std::vector<std::string> SelfAndAncestors(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::vector<std::string> out;
  while (true) {
    out.push_back(path);
    if (path.empty()) break;
    size_t slash = path.rfind('/');
    path = slash == std::string::npos ? "" : path.substr(0, slash);
  }
  return out;
}

// A path from /proc/self/cgroup must stay under the mount root.
bool SafeRelative(std::string_view path) {
  return path.find("/../") == std::string_view::npos &&
         (path.size() < 3 || path.substr(path.size() - 3) != "/..");
}

void Tighten(CgroupCpuLimit& best, double cpus, const std::string& source) {
  if (!best.cpus || cpus < *best.cpus) {
    best.cpus = cpus;
    best.source = source;
  }
}

void ReadV2(const std::string& root, const std::string& path, CgroupCpuLimit& best) {
  for (const auto& dir : SelfAndAncestors(path)) {
    std::string file = root + dir + "/cpu.max";
    if (auto text = ReadSmallFile(file)) {
      if (auto cpus = ParseCpuMax(*text)) Tighten(best, *cpus, file + ": " + *text);
    }
  }
}

void ReadV1(const std::string& root, const std::string& path, CgroupCpuLimit& best) {
  for (const char* mount : {"/cpu,cpuacct", "/cpu", "/cpuacct,cpu"}) {
    std::string base = root + mount;
    bool found = false;
    for (const auto& dir : SelfAndAncestors(path)) {
      std::string quota_file = base + dir + "/cpu.cfs_quota_us";
      auto quota_text = ReadSmallFile(quota_file);
      auto period_text = ReadSmallFile(base + dir + "/cpu.cfs_period_us");
      if (!quota_text || !period_text) continue;
      found = true;
      auto quota = ParseInt(*quota_text);
      auto period = ParseInt(*period_text);
      if (quota && period && *quota > 0 && *period > 0) {
        Tighten(best, static_cast<double>(*quota) / static_cast<double>(*period),
                quota_file + ": " + *quota_text + " / " + *period_text);
      }
    }
    if (found) return;
  }
}

}  // namespace

CgroupCpuLimit ReadCgroupCpuLimit(const std::string& cgroup_root,
                                  std::string_view proc_self_cgroup) {
  CgroupCpuLimit best;
  // Split by hand rather than with string streams: this runs before `ferry serve` is ready.
  for (std::string_view line : SplitOn(proc_self_cgroup, '\n')) {
    // "hierarchy-ID:controller-list:cgroup-path"
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view id = line.substr(0, a);
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (path.empty() || path[0] != '/' || !SafeRelative(path)) continue;
    if (id == "0" && controllers.empty()) {
      ReadV2(cgroup_root, path, best);
      continue;
    }
    for (std::string_view name : SplitOn(controllers, ',')) {
      if (name == "cpu") {
        ReadV1(cgroup_root, path, best);
        break;
      }
    }
  }
  // A cgroup namespace shows "0::/" while the container's own limit sits at
  // the mount root, which ReadV2 has read; without any /proc/self/cgroup
  // entry, still look there.
  if (proc_self_cgroup.empty()) ReadV2(cgroup_root, "", best);
  return best;
}

int CpusFromLimit(const CgroupCpuLimit& limit, int visible_cpus) {
  int visible = visible_cpus < 1 ? 1 : visible_cpus;
  if (!limit.cpus) return visible;
  double up = std::ceil(*limit.cpus - 1e-9);
  if (up < 1) return 1;
  if (up >= visible) return visible;
  return static_cast<int>(up);
}

int VisibleCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string EffectiveCpus::Describe() const {
  char buf[64];
  std::string out = std::to_string(cpus) + (cpus == 1 ? " CPU (" : " CPUs (");
  if (limit.cpus) {
    std::snprintf(buf, sizeof(buf), "%.3g", *limit.cpus);
    out += std::string("cgroup limit ") + buf + " from " + limit.source + "; ";
  } else {
    out += "no cgroup CPU limit; ";
  }
  return out + std::to_string(visible) + " visible)";
}

EffectiveCpus DetectEffectiveCpus() {
  EffectiveCpus e;
  e.visible = VisibleCpus();
  auto self = ReadSmallFile("/proc/self/cgroup", 1 << 16);
  e.limit = ReadCgroupCpuLimit("/sys/fs/cgroup", self.value_or(""));
  e.cpus = CpusFromLimit(e.limit, e.visible);
  return e;
}

}  // namespace ferry
