#!/usr/bin/python3
"""rbac_bench.py BINARY: runs bench/rbac_bench.cc (Google Benchmark, 15
repetitions) and prints a markdown section: the median time of one RBAC
decision for Ferry's indexed snapshot and for the unindexed baseline measured
in the same run, their ratio, and the snapshot build time. Fails if the
snapshot's median decision exceeds 5 µs."""
import json
import os
import subprocess
import sys

binary = sys.argv[1]
out = subprocess.run([binary, "--benchmark_repetitions=15", "--benchmark_format=json",
                      "--benchmark_report_aggregates_only=true"],
                     capture_output=True, text=True, check=True).stdout
runs = {b["run_name"]: b for b in json.loads(out)["benchmarks"] if b["aggregate_name"] == "median"}


def ns(name, key):
    b = runs[name]
    scale = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
    return b[key] * scale


print("| decision | Ferry snapshot median (wall / CPU) | unindexed baseline median (wall / CPU) "
      "| ratio (CPU) |")
print("|---|---|---|---|")
worst = 0
for case, label in (("allowed", "allowed: ServiceAccount's RoleBinding in its namespace"),
                    ("denied", "denied: no binding applies")):
    s_wall, s_cpu = ns("BM_Snapshot/" + case, "real_time"), ns("BM_Snapshot/" + case, "cpu_time")
    l_wall, l_cpu = ns("BM_Linear/" + case, "real_time"), ns("BM_Linear/" + case, "cpu_time")
    worst = max(worst, s_wall)
    print("| %s | %.0f ns / %.0f ns | %.0f ns / %.0f ns | **%.2f×** |" % (
        label, s_wall, s_cpu, l_wall, l_cpu, s_cpu / l_cpu))
print()
print("- snapshot build (1,000 RoleBindings, 100 + bootstrap ClusterRoles): median %.2f ms wall, "
      "%.2f ms CPU" % (ns("BM_Build", "real_time") / 1e6, ns("BM_Build", "cpu_time") / 1e6))
print("- goal: ≤ 5 µs median per decision: %s (worst snapshot median %.0f ns wall)" % (
    "met" if worst <= 5000 else "NOT met", worst))
print("- 1-minute load average when done: %.2f (wall times include waiting for a core; CPU "
      "times do not)" % os.getloadavg()[0])
sys.exit(0 if worst <= 5000 else 1)
