"""KServe's troubleshooting commands, run with the real kubectl against `ferry up`:
pods (get -o wide, -l, -w, describe, wait), their logs (storage-initializer and
kserve-container; -f, --tail, --since, --previous), delete pod (a restart),
the refusal to create pods, RBAC on pods and pods/log, and the tutorial's
failing-credentials model whose storage initializer says why."""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import Up  # noqa: E402
from test_up import RUN, sa_yaml, seed_file  # noqa: E402

NS = "my-profile"
BAD_NS = "bad-creds"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
POD_RE = r"irish-s3-predictor-00001-deployment-[b-z2-9]{10}-[b-z2-9]{5}"


def setUpModule():
    models = ferrytest.mlflow_models()
    ferrytest.s3_upload(os.path.join(models, "iris_tensor"), "s3://mlflow/" + RUN + "/")


class TroubleshootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Up()
        up = cls.up
        for ns, secret in ((NS, None), (BAD_NS, "wrong-secret-key")):
            up.kubectl("create", "namespace", ns)
            up.kubectl("apply", "-n", ns, "-f", sa_yaml(secret))
            up.kubectl("apply", "-n", ns, "-f", seed_file("is_mlflow.yaml"))
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", NS,
                   "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def kubectl(self, *args, **kw):
        return self.up.kubectl(*args, **kw)

    def pods(self, ns):
        r = self.kubectl("get", "pods", "-n", ns, "-l", ISVC_LABEL + "=irish-s3", "-o", "json")
        return json.loads(r.stdout)["items"]

    def serving_pod(self):
        pods = self.pods(NS)
        self.assertEqual(len(pods), 1, pods)
        return pods[0]

    def wait_for(self, what, fn, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.2)
        self.fail("timed out waiting for " + what + "\n" + self.up.output()[-3000:])

    def test_get_pods_table(self):
        r = self.kubectl("get", "pods", "-n", NS)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        self.assertEqual(len(lines), 2, r.stdout)
        self.assertRegex(lines[1], r"^" + POD_RE + r"\s+1/1\s+Running\s+0\s+\d+s$")
        r = self.kubectl("get", "pods", "-A", "-o", "wide")
        lines = r.stdout.splitlines()
        self.assertEqual(re.split(r"\s{2,}", lines[0].strip()),
                         ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                          "NOMINATED NODE", "READINESS GATES"])
        row = [l for l in lines if l.startswith(NS + " ")]
        self.assertEqual(len(row), 1, r.stdout)
        self.assertRegex(row[0], r"^my-profile\s+" + POD_RE +
                         r"\s+1/1\s+Running\s+0\s+\d+s\s+127\.0\.0\.1\s+ferry\s+<none>\s+<none>$")
        # Selected by KServe's and Knative's labels, as on a cluster.
        for selector in (ISVC_LABEL + "=irish-s3", "component=predictor",
                         "serving.knative.dev/revision=irish-s3-predictor-00001",
                         "serving.knative.dev/service=irish-s3-predictor"):
            r = self.kubectl("get", "pods", "-n", NS, "-l", selector, "-o", "name")
            self.assertRegex(r.stdout.strip(), r"^pod/" + POD_RE + "$", selector)
        r = self.kubectl("get", "pods", "-n", NS, "-l", ISVC_LABEL + "=other", check=False)
        self.assertIn("No resources found in my-profile namespace.", r.stderr)
        r = self.kubectl("get", "po", "-n", NS, "--show-labels")
        self.assertIn("component=predictor", r.stdout)
        # -w: the table, then rows as pods change (here: the first list only).
        watch = subprocess.Popen(
            ["kubectl", "--cache-dir", self.up.cache_dir, "get", "pods", "-n", NS, "-w"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, KUBECONFIG=self.up.kubeconfig))
        try:
            self.assertEqual(watch.stdout.readline().split(),
                             ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
            self.assertRegex(watch.stdout.readline(), r"^" + POD_RE + r"\s+1/1\s+Running\s+0\s+")
        finally:
            watch.kill()
            watch.wait()

    def test_pod_object(self):
        pod = self.serving_pod()
        meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
        self.assertEqual(meta["labels"][ISVC_LABEL], "irish-s3")
        self.assertEqual(meta["labels"]["serving.knative.dev/revision"], "irish-s3-predictor-00001")
        self.assertEqual(meta["labels"]["component"], "predictor")
        self.assertEqual([c["name"] for c in spec["initContainers"]], ["storage-initializer"])
        self.assertEqual([c["name"] for c in spec["containers"]], ["kserve-container"])
        self.assertEqual(spec["initContainers"][0]["args"][1],
                         "s3://mlflow/1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model")
        self.assertEqual(status["phase"], "Running")
        init = status["initContainerStatuses"][0]
        self.assertEqual(init["state"]["terminated"]["reason"], "Completed")
        self.assertEqual(init["state"]["terminated"]["exitCode"], 0)
        main = status["containerStatuses"][0]
        self.assertTrue(main["ready"])
        self.assertIn("startedAt", main["state"]["running"])
        self.assertEqual(main["restartCount"], 0)
        conds = {c["type"]: c["status"] for c in status["conditions"]}
        self.assertEqual(conds["Ready"], "True")
        self.assertEqual(conds["Initialized"], "True")
        self.assertRegex(status["startTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_describe_and_wait(self):
        name = self.serving_pod()["metadata"]["name"]
        r = self.kubectl("wait", "--for=condition=Ready", "pod", "-l", ISVC_LABEL + "=irish-s3",
                         "-n", NS, "--timeout=20s")
        self.assertEqual(r.stdout.strip(), "pod/%s condition met" % name)
        r = self.kubectl("describe", "pod", name, "-n", NS)
        out = r.stdout
        self.assertRegex(out, r"Name:\s+" + name)
        self.assertRegex(out, r"Status:\s+Running")
        self.assertRegex(out, r"Controlled By:\s+ReplicaSet/irish-s3-predictor-00001-deployment-")
        self.assertRegex(out, r"Init Containers:\n  storage-initializer:")
        self.assertRegex(out, r"State:\s+Terminated\n\s+Reason:\s+Completed\n\s+Exit Code:\s+0")
        self.assertRegex(out, r"Containers:\n  kserve-container:")
        self.assertRegex(out, r"State:\s+Running\n\s+Started:")
        self.assertRegex(out, r"Ready\s+True")
        self.assertRegex(out, r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully "
                         r"assigned my-profile/%s to ferry" % name)
        self.assertRegex(out, r"Normal\s+Started\s+\S+\s+kubelet\s+Started container "
                         r"storage-initializer")
        self.assertRegex(out, r"Normal\s+Started\s+\S+\s+kubelet\s+Started container "
                         r"kserve-container")

    def test_logs(self):
        name = self.serving_pod()["metadata"]["name"]
        init = self.kubectl("logs", name, "-n", NS, "-c", "storage-initializer").stdout
        self.assertIn("DownloadStarted: revision irish-s3-predictor-00001: fetching "
                      "s3://mlflow/1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model", init)
        self.assertRegex(init, r"revision irish-s3-predictor-00001: (downloaded [0-9.]+ MB|fetched) "
                         r"in \d+ ms")
        self.assertNotIn("RevisionReady", init)
        main = self.kubectl("logs", name, "-n", NS, "-c", "kserve-container").stdout
        self.assertIn("loading the model from /mnt/models", main)
        self.assertIn("RevisionReady: revision irish-s3-predictor-00001 loaded", main)
        self.assertNotIn("DownloadStarted", main)
        # Each line starts with its time; the pod's default container is kserve-container.
        for line in main.splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
        self.assertEqual(self.kubectl("logs", name, "-n", NS).stdout, main)
        tail = self.kubectl("logs", name, "-n", NS, "-c", "kserve-container", "--tail=1").stdout
        self.assertEqual(tail, main.splitlines(True)[-1])
        self.assertEqual(self.kubectl("logs", name, "-n", NS, "-c", "kserve-container",
                                      "--since=1h").stdout, main)
        stamped = self.kubectl("logs", name, "-n", NS, "-c", "kserve-container",
                               "--timestamps").stdout
        self.assertRegex(stamped.splitlines()[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")
        r = self.kubectl("logs", name, "-n", NS, "-c", "kserve-container", "--previous",
                         check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('previous terminated container "kserve-container" in pod "%s" not found'
                      % name, r.stderr)
        r = self.kubectl("logs", name, "-n", NS, "-c", "queue-proxy", check=False)
        self.assertIn("container queue-proxy is not valid for pod " + name, r.stderr)
        r = self.kubectl("logs", "nope", "-n", NS, check=False)
        self.assertIn('pods "nope" not found', r.stderr)

    def test_pods_are_read_only(self):
        r = self.kubectl("run", "nginx", "--image=nginx", "-n", NS, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Error from server (Forbidden): pods "nginx" is forbidden: Ferry\'s pods are '
                      "views of InferenceService revisions", r.stderr)
        self.assertIn("apply an InferenceService (apiVersion: serving.kserve.io/v1beta1)", r.stderr)
        name = self.serving_pod()["metadata"]["name"]
        r = self.kubectl("label", "pod", name, "-n", NS, "x=y", check=False)
        self.assertIn('pods "%s" is forbidden' % name, r.stderr)

    def test_rbac_on_pods(self):
        jane = "jane@example.com"
        name = self.serving_pod()["metadata"]["name"]
        r = self.kubectl("get", "pods", "-n", NS, "--as=" + jane, check=False)
        self.assertIn('pods is forbidden: User "jane@example.com" cannot list resource "pods" in '
                      'API group "" in the namespace "my-profile"', r.stderr)
        self.kubectl("create", "rolebinding", "jane-view", "--clusterrole=view",
                     "--user=" + jane, "-n", NS)
        try:
            self.kubectl("get", "pods", "-n", NS, "--as=" + jane)
            r = self.kubectl("logs", name, "-n", NS, "-c", "storage-initializer", "--as=" + jane)
            self.assertIn("DownloadStarted", r.stdout)
            r = self.kubectl("delete", "pod", name, "-n", NS, "--as=" + jane, check=False)
            self.assertIn('cannot delete resource "pods"', r.stderr)
        finally:
            self.kubectl("delete", "rolebinding", "jane-view", "-n", NS)

    def test_events_table(self):
        pod = self.serving_pod()["metadata"]["name"]
        r = self.kubectl("get", "events", "-n", NS)
        lines = r.stdout.splitlines()
        self.assertEqual(re.split(r"\s{2,}", lines[0].strip()),
                         ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
        self.assertTrue(any(re.match(
            r"^\d+s\s+Normal\s+DownloadStarted\s+inferenceservice/irish-s3\s+revision "
            r"irish-s3-predictor-00001: fetching s3://mlflow/", l) for l in lines), r.stdout)
        self.assertTrue(any(re.match(
            r"^\d+s\s+Normal\s+Scheduled\s+pod/%s\s+Successfully assigned my-profile/%s to "
            r"ferry$" % (pod, pod), l) for l in lines), r.stdout)
        # Field selectors as kubectl users write them.
        r = self.kubectl("get", "events", "-n", NS, "--field-selector",
                         "involvedObject.kind=InferenceService,involvedObject.name=irish-s3")
        objects = {l.split()[3] for l in r.stdout.splitlines()[1:]}
        self.assertEqual(objects, {"inferenceservice/irish-s3"})
        r = self.kubectl("get", "events", "-n", BAD_NS, "--field-selector", "type=Warning")
        rows = r.stdout.splitlines()[1:]
        self.assertTrue(rows)
        self.assertTrue(all(row.split()[1] == "Warning" for row in rows), r.stdout)
        self.assertTrue(any("ModelLoadFailed" in row and "SignatureDoesNotMatch" in row
                            for row in rows), r.stdout)
        r = self.kubectl("get", "events", "-n", NS, "-o", "wide")
        self.assertEqual(re.split(r"\s{2,}", r.stdout.splitlines()[0].strip()),
                         ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE",
                          "MESSAGE", "FIRST SEEN", "COUNT", "NAME"])
        self.assertRegex(r.stdout, r"spec\.initContainers\{storage-initializer\}\s+kubelet, ferry"
                         r"\s+Started container storage-initializer")
        # kubectl events --for: the InferenceService's events, oldest first.
        r = self.kubectl("events", "--for", "isvc/irish-s3", "-n", NS)
        lines = r.stdout.splitlines()
        self.assertEqual(re.split(r"\s{2,}", lines[0].strip()),
                         ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
        reasons = [l.split()[2] for l in lines[1:]]
        self.assertEqual(reasons[:2], ["DownloadStarted", "RevisionReady"], r.stdout)
        self.assertTrue(all("InferenceService/irish-s3" in l for l in lines[1:]), r.stdout)
        # The same Events through events.k8s.io/v1.
        r = self.kubectl("get", "events.v1.events.k8s.io", "-n", NS, "-o", "json")
        items = json.loads(r.stdout)["items"]
        ev = [e for e in items if e["reason"] == "DownloadStarted"][0]
        self.assertEqual(ev["apiVersion"], "events.k8s.io/v1")
        self.assertEqual(ev["regarding"]["kind"], "InferenceService")
        self.assertIn("fetching s3://", ev["note"])
        self.assertEqual(ev["deprecatedCount"], 1)

    def test_knative_views(self):
        r = self.kubectl("get", "ksvc", "-n", NS)
        lines = r.stdout.splitlines()
        # Knative's printer columns, then Age (kube-apiserver adds it for every CRD).
        self.assertEqual(lines[0].split(),
                         ["NAME", "URL", "LATESTCREATED", "LATESTREADY", "READY", "REASON", "AGE"])
        self.assertRegex(lines[1], r"^irish-s3-predictor\s+http://irish-s3-predictor\.my-profile"
                         r"\.example\.com\s+irish-s3-predictor-00001\s+irish-s3-predictor-00001"
                         r"\s+True\s+\d+s$")
        r = self.kubectl("get", "revisions", "-n", NS)
        lines = r.stdout.splitlines()
        self.assertEqual(re.split(r"\s{2,}", lines[0].strip()),
                         ["NAME", "CONFIG NAME", "GENERATION", "READY", "REASON",
                          "ACTUAL REPLICAS", "DESIRED REPLICAS", "AGE"])
        self.assertRegex(lines[1], r"^irish-s3-predictor-00001\s+irish-s3-predictor\s+1\s+True"
                         r"\s+1\s+1\s+\d+s$")
        r = self.kubectl("get", "routes", "-n", NS)
        self.assertEqual(r.stdout.splitlines()[0].split(),
                         ["NAME", "URL", "READY", "REASON", "AGE"])
        self.assertRegex(r.stdout.splitlines()[1], r"^irish-s3-predictor\s+http://irish-s3-"
                         r"predictor\.my-profile\.example\.com\s+True\s+\d+s$")
        r = self.kubectl("get", "route", "irish-s3-predictor", "-n", NS, "-o",
                         "jsonpath={.status.traffic[0].revisionName}={.status.traffic[0].percent}")
        self.assertEqual(r.stdout, "irish-s3-predictor-00001=100")
        r = self.kubectl("get", "configurations", "-n", NS)
        self.assertEqual(r.stdout.splitlines()[0].split(),
                         ["NAME", "LATESTCREATED", "LATESTREADY", "READY", "REASON", "AGE"])
        self.assertRegex(r.stdout.splitlines()[1], r"^irish-s3-predictor\s+irish-s3-predictor-00001"
                         r"\s+irish-s3-predictor-00001\s+True\s+\d+s$")
        r = self.kubectl("get", "ksvc,rev", "-n", NS, "-l", ISVC_LABEL + "=irish-s3", "-o", "name")
        self.assertEqual(r.stdout.split(), ["service.serving.knative.dev/irish-s3-predictor",
                                            "revision.serving.knative.dev/irish-s3-predictor-00001"])
        r = self.kubectl("delete", "ksvc", "irish-s3-predictor", "-n", NS, check=False)
        self.assertIn('services.serving.knative.dev "irish-s3-predictor" is forbidden: Ferry '
                      "derives Knative objects from InferenceServices", r.stderr)

    def test_zz_delete_pod_restarts_the_revision(self):
        old = self.serving_pod()["metadata"]["name"]
        # Follow the old pod's model server: the stream ends with the pod.
        follow = subprocess.Popen(
            ["kubectl", "--cache-dir", self.up.cache_dir, "logs", "-f", old, "-n", NS, "-c",
             "kserve-container"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, KUBECONFIG=self.up.kubeconfig))
        try:
            first = follow.stdout.readline()
            self.assertIn("loading the model from /mnt/models", first)
            r = self.kubectl("delete", "pod", old, "-n", NS)
            self.assertEqual(r.stdout.strip(), 'pod "%s" deleted' % old)
            out, err = follow.communicate(timeout=20)
        finally:
            if follow.poll() is None:
                follow.kill()
                follow.wait()
        self.assertEqual(follow.returncode, 0, err)
        self.assertIn("pod %s was deleted" % old, out)

        def new_ready():
            pods = [p for p in self.pods(NS) if p["metadata"]["name"] != old]
            ready = [p for p in pods if p["status"]["containerStatuses"][0]["ready"]]
            return ready[0] if ready else None
        new = self.wait_for("a new ready pod", new_ready)
        self.assertRegex(new["metadata"]["name"], "^" + POD_RE + "$")
        self.assertEqual(len(self.pods(NS)), 1)
        # The new pod downloaded and loaded again; the service kept serving.
        name = new["metadata"]["name"]
        init = self.kubectl("logs", name, "-n", NS, "-c", "storage-initializer").stdout
        self.assertIn("DownloadStarted: revision irish-s3-predictor-00001", init)
        main = self.kubectl("logs", name, "-n", NS, "-c", "kserve-container").stdout
        self.assertIn("RevisionReady: revision irish-s3-predictor-00001 loaded", main)
        r = self.kubectl("get", "isvc", "irish-s3", "-n", NS)
        self.assertRegex(r.stdout, r"irish-s3\s+http://\S+\s+True")

    def test_failing_credentials(self):
        def failed_pod():
            pods = self.pods(BAD_NS)
            if pods and "terminated" in pods[0]["status"]["initContainerStatuses"][0]["state"]:
                return pods[0]
            return None
        pod = self.wait_for("the storage initializer to fail", failed_pod)
        name = pod["metadata"]["name"]
        init = pod["status"]["initContainerStatuses"][0]
        self.assertEqual(init["state"]["terminated"]["reason"], "Error")
        self.assertEqual(init["state"]["terminated"]["exitCode"], 1)
        self.assertIn("SignatureDoesNotMatch", init["state"]["terminated"]["message"])
        self.assertEqual(pod["status"]["phase"], "Pending")
        self.assertEqual(pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
                         "PodInitializing")
        r = self.kubectl("get", "pods", "-n", BAD_NS)
        self.assertRegex(r.stdout.splitlines()[1],
                         r"^" + POD_RE + r"\s+0/1\s+Init:Error\s+0\s+\d+s$")
        log = self.kubectl("logs", name, "-n", BAD_NS, "-c", "storage-initializer").stdout
        self.assertIn("DownloadStarted: revision irish-s3-predictor-00001: fetching s3://", log)
        self.assertRegex(log, r"ModelLoadFailed: revision irish-s3-predictor-00001: .*"
                         r"SignatureDoesNotMatch")
        r = self.kubectl("logs", name, "-n", BAD_NS, check=False)
        self.assertIn('container "kserve-container" in pod "%s" is waiting to start: '
                      "PodInitializing" % name, r.stderr)
        r = self.kubectl("describe", "pod", name, "-n", BAD_NS)
        self.assertRegex(r.stdout, r"State:\s+Terminated\n\s+Reason:\s+Error\n\s+Message:\s+.*"
                         r"SignatureDoesNotMatch")
        self.assertRegex(r.stdout, r"Exit Code:\s+1")
        r = self.kubectl("get", "ksvc", "-n", BAD_NS)
        # LATESTREADY is empty: no revision ever became ready.
        self.assertRegex(r.stdout.splitlines()[1], r"^irish-s3-predictor\s+http://\S+\s+"
                         r"irish-s3-predictor-00001\s+False\s+RevisionFailed\s+\d+s$")
        r = self.kubectl("get", "revisions", "-n", BAD_NS)
        self.assertRegex(r.stdout.splitlines()[1], r"^irish-s3-predictor-00001\s+irish-s3-"
                         r"predictor\s+1\s+False\s+ModelLoadFailed\s+0\s+1\s+\d+s$")
        r = self.kubectl("get", "ksvc", "irish-s3-predictor", "-n", BAD_NS, "-o",
                         "jsonpath={.status.conditions[?(@.type=='Ready')].message}")
        self.assertRegex(r.stdout, r'^Revision "irish-s3-predictor-00001" failed with message: '
                         r".*SignatureDoesNotMatch")
        # Fixing the Secret restarts the same pod's storage initializer.
        self.kubectl("apply", "-n", BAD_NS, "-f", sa_yaml())
        self.kubectl("wait", "--for=condition=Ready", "pod/" + name, "-n", BAD_NS,
                     "--timeout=60s")
        pod = self.pods(BAD_NS)[0]
        init = pod["status"]["initContainerStatuses"][0]
        self.assertEqual(init["restartCount"], 1)
        self.assertEqual(init["lastState"]["terminated"]["exitCode"], 1)
        r = self.kubectl("get", "pods", "-n", BAD_NS)
        # Like kube's printer: init container restarts count only while initializing.
        self.assertRegex(r.stdout.splitlines()[1],
                         r"^" + POD_RE + r"\s+1/1\s+Running\s+0\s+\d+s$")
        prev = self.kubectl("logs", name, "-n", BAD_NS, "-c", "storage-initializer",
                            "--previous").stdout
        self.assertIn("SignatureDoesNotMatch", prev)
        cur = self.kubectl("logs", name, "-n", BAD_NS, "-c", "storage-initializer").stdout
        self.assertNotIn("SignatureDoesNotMatch", cur)
        self.assertIn("DownloadStarted", cur)
        # The restarted container's Event is counted on the first one, not repeated.
        r = self.kubectl("get", "events", "-n", BAD_NS, "--field-selector",
                         "involvedObject.name=%s,reason=Started" % name, "-o", "json")
        started = [e for e in json.loads(r.stdout)["items"]
                   if e["involvedObject"].get("fieldPath") ==
                   "spec.initContainers{storage-initializer}"]
        self.assertEqual(len(started), 1, started)
        self.assertEqual(started[0]["count"], 2)
        r = self.kubectl("get", "events", "-n", BAD_NS, "-o", "wide", "--field-selector",
                         "involvedObject.name=%s,reason=Started" % name)
        self.assertRegex(r.stdout, r"Started container storage-initializer\s+\d+s\s+2\s+%s\." % name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
