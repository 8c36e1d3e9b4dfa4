"""`kubectl top pod` through metrics.k8s.io/v1beta1 against `ferry up`, with the real kubectl:
one namespace and all (-A), one pod, -l, --containers; the PodMetrics JSON metrics-server
writes; CPU attributed to the model that served the requests; RBAC as with metrics-server (a
user without a role is refused, a namespace viewer may). Also the Events field selectors of
Kubernetes: core v1 involvedObject.*, events.k8s.io/v1 regarding.* (what `kubectl events --for`
and clients of the new API send), and unsupported labels refused with kube's message. And the
machine as a Node: `kubectl get/describe node` and `kubectl top node`, checked against /proc.

Run with /usr/bin/python3.
"""
import json
import os
import re
import sys
import time
import unittest

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up, user_role_binding  # noqa: E402

NS_A, NS_B = "top-a", "top-b"
ISVC_LABEL = "serving.kserve.io/inferenceservice"


def isvc(name, ns, models):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"predictor": {"model": {
                "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                "storageUri": "file://%s/iris_tensor" % models}}}}


def millicores(cell):
    """kubectl's CPU cell ("12m") as millicores."""
    m = re.fullmatch(r"(\d+)m", cell)
    assert m, cell
    return int(m.group(1))


class TopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        models = os.path.abspath(ferrytest.mlflow_models())
        cls.up = Up(profile="none", extra=["--allow-local-models", models])
        objs = [isvc("busy", NS_A, models), isvc("idle", NS_A, models),
                isvc("other", NS_B, models)]
        for ns in (NS_A, NS_B):
            cls.up.kubectl("create", "namespace", ns)
        cls.up.kubectl("apply", "-f", "-", input="---\n".join(yaml.safe_dump(o) for o in objs))
        for o in objs:
            cls.up.kubectl("wait", "--for=condition=Ready", "isvc/" + o["metadata"]["name"],
                           "-n", o["metadata"]["namespace"], "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def kubectl(self, *args, **kw):
        return self.up.kubectl(*args, **kw)

    def pod(self, name, ns=NS_A):
        r = self.kubectl("get", "pods", "-n", ns, "-l", ISVC_LABEL + "=" + name, "-o", "name")
        return r.stdout.strip().split("/", 1)[1]

    def rows(self, *args):
        out = self.kubectl("top", "pod", *args).stdout
        lines = out.splitlines()
        return lines[0].split(), [l.split() for l in lines[1:]]

    def test_top_pod_tables(self):
        head, rows = self.rows("-n", NS_A)
        self.assertEqual(head, ["NAME", "CPU(cores)", "MEMORY(bytes)"])
        self.assertEqual(sorted(r[0] for r in rows), sorted([self.pod("busy"), self.pod("idle")]))
        for r in rows:
            millicores(r[1])
            self.assertRegex(r[2], r"^\d+Mi$")
            self.assertGreater(int(r[2][:-2]), 0)  # the model's bytes + a share of the process
        head, rows = self.rows("-A")
        self.assertEqual(head, ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"])
        self.assertIn([NS_B, self.pod("other", NS_B)], [r[:2] for r in rows])
        head, rows = self.rows("-n", NS_A, "--containers")
        self.assertEqual(head, ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"])
        self.assertEqual(sorted((r[0], r[1]) for r in rows),
                         sorted([(self.pod("busy"), "kserve-container"),
                                 (self.pod("idle"), "kserve-container")]))
        head, rows = self.rows(self.pod("idle"), "-n", NS_A)
        self.assertEqual([r[0] for r in rows], [self.pod("idle")])
        head, rows = self.rows("-n", NS_A, "-l", ISVC_LABEL + "=busy")
        self.assertEqual([r[0] for r in rows], [self.pod("busy")])
        r = self.kubectl("top", "pod", "nosuch", "-n", NS_A, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('podmetrics.metrics.k8s.io "top-a/nosuch" not found', r.stderr)

    def test_pod_metrics_json(self):
        raw = self.kubectl("get", "--raw",
                           "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods" % NS_A).stdout
        doc = json.loads(raw)
        self.assertEqual(doc["kind"], "PodMetricsList")
        self.assertEqual(doc["apiVersion"], "metrics.k8s.io/v1beta1")
        item = [i for i in doc["items"] if i["metadata"]["name"] == self.pod("busy")][0]
        self.assertEqual(item["metadata"]["namespace"], NS_A)
        self.assertEqual(item["metadata"]["labels"][ISVC_LABEL], "busy")
        self.assertRegex(item["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(item["window"], r"^(\d+m)?\d+(\.\d+)?s$")
        self.assertEqual([c["name"] for c in item["containers"]], ["kserve-container"])
        self.assertRegex(item["containers"][0]["usage"]["cpu"], r"^\d+n$")
        self.assertRegex(item["containers"][0]["usage"]["memory"], r"^\d+Ki$")
        resources = json.loads(self.kubectl("get", "--raw",
                                            "/apis/metrics.k8s.io/v1beta1").stdout)["resources"]
        pods = [r for r in resources if r["name"] == "pods"][0]
        self.assertEqual((pods["kind"], pods["namespaced"], sorted(pods["verbs"])),
                         ("PodMetrics", True, ["get", "list"]))

    def test_cpu_goes_to_the_model_that_worked(self):
        self.rows("-n", NS_A)  # a sample: the next window starts here
        host = "busy.%s.svc.cluster.local" % NS_A
        deadline = time.time() + 2.5
        session = requests.Session()
        n = 0
        while time.time() < deadline and n < 20000:
            r = session.post("http://127.0.0.1:%d/v2/models/busy/infer" % self.up.internal_port,
                             json=SEED_REQUEST, headers={"Host": host}, timeout=10)
            self.assertEqual(r.status_code, 200)
            n += 1
        _, rows = self.rows("-n", NS_A)
        cpu = {r[0]: millicores(r[1]) for r in rows}
        print("top after %d requests to busy: %s" % (n, cpu), file=sys.stderr)
        self.assertGreater(cpu[self.pod("busy")], cpu[self.pod("idle")])
        self.assertGreater(cpu[self.pod("busy")], 0)

    def test_rbac_as_with_metrics_server(self):
        r = self.kubectl("top", "pod", "-n", NS_A, "--as", "alice@example.com", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('pods.metrics.k8s.io is forbidden: User "alice@example.com" cannot list '
                      'resource "pods" in API group "metrics.k8s.io" in the namespace "top-a"',
                      r.stderr)
        self.kubectl("apply", "-f", "-", input=user_role_binding(
            "alice-view", NS_A, "view", "alice@example.com"))
        deadline = time.time() + 10
        while time.time() < deadline:
            r = self.kubectl("top", "pod", "-n", NS_A, "--as", "alice@example.com", check=False)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(self.pod("busy"), r.stdout)
        r = self.kubectl("top", "pod", "-n", NS_B, "--as", "alice@example.com", check=False)
        self.assertIn("forbidden", r.stderr)

    def test_event_field_selectors(self):
        r = self.kubectl("get", "events", "-n", NS_A, "--field-selector",
                         "involvedObject.name=busy", "-o", "json")
        items = json.loads(r.stdout)["items"]
        self.assertTrue(items)
        self.assertEqual({i["involvedObject"]["name"] for i in items}, {"busy"})
        pod = self.pod("idle")
        r = self.kubectl("get", "events", "-n", NS_A, "--field-selector",
                         "involvedObject.kind=Pod,involvedObject.name=" + pod, "-o", "json")
        items = json.loads(r.stdout)["items"]
        self.assertTrue(items)
        self.assertEqual({i["involvedObject"]["name"] for i in items}, {pod})
        # kubectl events --for: the same selection, printed as kubectl prints events.
        r = self.kubectl("events", "-n", NS_A, "--for", "inferenceservice/busy")
        self.assertIn("InferenceService/busy", r.stdout)
        self.assertNotIn("InferenceService/idle", r.stdout)
        # events.k8s.io/v1 selects by regarding.* (converted to the stored involvedObject).
        r = self.kubectl("get", "events.v1.events.k8s.io", "-n", NS_A, "--field-selector",
                         "regarding.name=busy", "-o", "json")
        items = json.loads(r.stdout)["items"]
        self.assertTrue(items)
        self.assertEqual({i["regarding"]["name"] for i in items}, {"busy"})
        # Labels a kind does not have are refused, in kube-apiserver's words.
        r = self.kubectl("get", "events", "-n", NS_A, "--field-selector", "spec.nonsense=x",
                         check=False)
        self.assertIn("field label not supported: spec.nonsense", r.stderr)
        r = self.kubectl("get", "events.v1.events.k8s.io", "-n", NS_A, "--field-selector",
                         "involvedObject.name=busy", check=False)
        self.assertIn("field label not supported: involvedObject.name", r.stderr)

    # --- the node ------------------------------------------------------------------------
    def test_get_and_describe_node(self):
        out = self.kubectl("get", "nodes").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
        cells = out[1].split()
        self.assertEqual(cells[:3], ["ferry", "Ready", "control-plane"])
        self.assertEqual(cells[4], json.loads(self.kubectl("version", "-o", "json").stdout)
                         ["serverVersion"]["gitVersion"])
        wide = self.kubectl("get", "node", "ferry", "-o", "wide").stdout
        self.assertIn(os.uname().release, wide)
        self.assertIn("ferry://", wide)
        node = json.loads(self.kubectl("get", "no", "ferry", "-o", "json").stdout)
        self.assertEqual(node["status"]["capacity"]["cpu"], str(os.cpu_count()))
        with open("/proc/meminfo") as f:
            total_kb = int(f.readline().split()[1])
        self.assertEqual(node["status"]["allocatable"]["memory"], "%dKi" % total_kb)
        # Every pod runs on it: describe lists them (a field selector on spec.nodeName).
        described = self.kubectl("describe", "node", "ferry").stdout
        self.assertRegex(described, r"Ready\s+True\s+.*KubeletReady")
        self.assertIn(self.pod("busy"), described)
        self.assertIn(self.pod("other", NS_B), described)
        # Users cannot change or delete it.
        r = self.kubectl("label", "node", "ferry", "x=y", check=False)
        self.assertIn("the Node is the machine `ferry up` runs on", r.stderr)
        r = self.kubectl("delete", "node", "ferry", check=False)
        self.assertIn("the Node is the machine `ferry up` runs on", r.stderr)

    def test_top_node(self):
        with open("/proc/meminfo") as f:
            info = {ln.split(":")[0]: int(ln.split()[1]) for ln in f}
        out = self.kubectl("top", "node").stdout.splitlines()
        self.assertEqual(out[0].split()[:1], ["NAME"])
        name, cpu, cpu_pct, mem, mem_pct = out[1].split()
        self.assertEqual(name, "ferry")
        cores = millicores(cpu) / 1000.0
        self.assertLessEqual(cores, os.cpu_count() + 0.05)
        # kubectl's own arithmetic on the allocatable Ferry wrote: truncated percentages.
        self.assertEqual(int(cpu_pct.rstrip("%")), millicores(cpu) * 100 // (os.cpu_count() * 1000))
        self.assertTrue(mem.endswith("Mi"), mem)
        in_use_mi = (info["MemTotal"] - info["MemAvailable"]) / 1024
        # The machine's memory in use, as /proc/meminfo says (other processes move it).
        self.assertLess(abs(int(mem[:-2]) - in_use_mi), max(512, in_use_mi * 0.25),
                        (mem, in_use_mi))
        self.assertLessEqual(abs(int(mem_pct.rstrip("%")) -
                                 int(mem[:-2]) * 1024 * 100 // info["MemTotal"]), 1)
        metrics = json.loads(self.kubectl("get", "--raw",
                                          "/apis/metrics.k8s.io/v1beta1/nodes/ferry").stdout)
        self.assertEqual(metrics["kind"], "NodeMetrics")
        self.assertRegex(metrics["usage"]["cpu"], r"^\d+n$")
        self.assertRegex(metrics["usage"]["memory"], r"^\d+Ki$")
        r = self.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/nosuch",
                         check=False)
        self.assertIn('nodemetrics.metrics.k8s.io \"nosuch\" not found', r.stderr)


if __name__ == "__main__":
    unittest.main()
