// How many CPUs this process may really use: the cgroup CPU limit of its
// container (cgroup v2 `cpu.max`, cgroup v1 `cpu.cfs_quota_us` /
// `cpu.cfs_period_us`), rounded up, at least 1 and never above the cores the
// process may run on. A pod with `limits.cpu: 1` on a 64-core node gets 1,
// not 64, so thread pools sized from it are not throttled by the CFS quota.
//
// Called once at start-up by `ferry serve` and `ferry storage-initializer` to
// size their thread pools. ReadCgroupCpuLimit() takes the cgroup mount root
// and the text of /proc/self/cgroup so tests can point it at fixture trees.
// Pure reads of small files; thread-safe; no ownership.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry {

struct CgroupCpuLimit {
  std::optional<double> cpus;  // quota / period; nullopt = no limit found
  std::string source;          // e.g. "/sys/fs/cgroup/cpu.max: 150000 100000"
};

// The tightest CPU limit on this process's cgroup and its ancestors under
// `cgroup_root` (normally /sys/fs/cgroup), given the contents of
// /proc/self/cgroup. Handles the unified (v2) hierarchy and the v1 `cpu`
// controller (mounted as cpu,cpuacct, cpu or cpuacct,cpu); unreadable or
// malformed files count as "no limit".
CgroupCpuLimit ReadCgroupCpuLimit(const std::string& cgroup_root,
                                  std::string_view proc_self_cgroup);

// ceil(limit), at least 1, at most `visible_cpus` (no limit: visible_cpus).
int CpusFromLimit(const CgroupCpuLimit& limit, int visible_cpus);

// CPUs this process may be scheduled on (sched_getaffinity), at least 1.
int VisibleCpus();

struct EffectiveCpus {
  int cpus = 1;
  int visible = 1;
  CgroupCpuLimit limit;
  // One line for the log: "2 CPUs (cgroup limit 1.5 from ...; 64 visible)".
  std::string Describe() const;
};

// The above for this process: /sys/fs/cgroup and /proc/self/cgroup.
EffectiveCpus DetectEffectiveCpus();

}  // namespace ferry
