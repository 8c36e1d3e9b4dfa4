#!/usr/bin/python3
"""Faults during model downloads, provoked for real: the S3 test
server behind a fault-injecting proxy (500s, truncated bodies, a slow server,
the server gone) and a full disk (a 1 MiB tmpfs; needs root, else skipped).
Each ends either in a complete model (retries) or in a clear error naming the
cause — never a half-written model directory."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402

PREFIX = "s3://mlflow/faults/iris/"


def setUpModule():
    ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"), PREFIX)


class StorageFaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3, cls.access, cls.secret = ferrytest.ensure_s3()
        cls.proxy = FaultProxy(cls.s3)
        cls.tmp = tempfile.mkdtemp(prefix="ferry-faults-")

    @classmethod
    def tearDownClass(cls):
        cls.proxy.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def fetch(self, dest, uri=PREFIX.rstrip("/"), endpoint=None, timeout=60):
        env = dict(os.environ, S3_ENDPOINT=endpoint or self.proxy.endpoint, S3_USE_HTTPS="0",
                   AWS_ACCESS_KEY_ID=self.access, AWS_SECRET_ACCESS_KEY=self.secret,
                   AWS_DEFAULT_REGION="us-east-1")
        env.pop("AWS_ENDPOINT_URL", None)
        t0 = time.monotonic()
        p = subprocess.run([ferrytest.FERRY_BIN, "storage-initializer", uri, dest],
                           capture_output=True, text=True, env=env, timeout=timeout)
        return p, time.monotonic() - t0

    def assertComplete(self, dest):
        self.assertTrue(os.path.isfile(os.path.join(dest, "MLmodel")), os.listdir(dest))
        left = [n for n in os.listdir(os.path.dirname(dest)) if ".ferry-tmp" in n]
        self.assertEqual(left, [], "temporary download directories left behind")

    def test_500s_are_retried(self):
        self.proxy.set("500", times=3)
        dest = os.path.join(self.tmp, "after-500s")
        p, _ = self.fetch(dest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertComplete(dest)
        self.assertGreaterEqual(self.proxy.counts.get("500", 0), 3)

    def test_truncated_bodies_are_retried(self):
        self.proxy.set(None)
        self.proxy.counts.clear()
        # Truncate the first two GETs of objects (the listing is a GET too).
        self.proxy.set("truncate", times=3)
        dest = os.path.join(self.tmp, "after-truncation")
        p, _ = self.fetch(dest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertComplete(dest)

    def test_corrupted_body_fails_the_md5_check_and_leaves_nothing(self):
        # Same length, one byte flipped: only the ETag's MD5 can tell.
        self.proxy.set("corrupt")
        try:
            dest = os.path.join(self.tmp, "corrupt")
            p, _ = self.fetch(dest)
        finally:
            self.proxy.set(None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("MD5", p.stderr)
        self.assertIn("s3://mlflow/faults/iris/", p.stderr)
        self.assertFalse(os.path.exists(dest))

    def test_slow_server_still_completes(self):
        self.proxy.set("slow", times=2, delay=1.5)
        dest = os.path.join(self.tmp, "slow")
        p, secs = self.fetch(dest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertComplete(dest)
        self.assertGreater(secs, 1.4)

    def test_server_gone_is_a_clear_error(self):
        proxy = FaultProxy(self.s3)
        endpoint = proxy.endpoint
        proxy.down()
        dest = os.path.join(self.tmp, "gone")
        p, _ = self.fetch(dest, endpoint=endpoint)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("127.0.0.1:%d" % proxy.port, p.stderr)
        self.assertRegex(p.stderr, "(?i)cannot reach|connection refused")
        self.assertFalse(os.path.exists(dest))

    def test_disk_full_is_a_clear_error_and_leaves_nothing(self):
        mnt = tempfile.mkdtemp(prefix="ferry-tmpfs-")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                          capture_output=True).returncode != 0:
            os.rmdir(mnt)
            self.skipTest("cannot mount a tmpfs here (needs root)")
        try:
            big = os.path.join(self.tmp, "big.bin")
            with open(big, "wb") as f:
                f.write(os.urandom(3 * 1024 * 1024))
            ferrytest.s3_upload(self._dir_with(big),
                                "s3://mlflow/faults/big/")
            self.proxy.set(None)
            dest = os.path.join(mnt, "model")
            p, _ = self.fetch(dest, uri="s3://mlflow/faults/big")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("No space left on device", p.stderr)
            self.assertIn("free space", p.stderr)
            self.assertEqual(os.listdir(mnt), [], "a half-written model was left behind")
        finally:
            subprocess.run(["umount", mnt])
            os.rmdir(mnt)

    def _dir_with(self, path):
        d = tempfile.mkdtemp(dir=self.tmp)
        shutil.move(path, os.path.join(d, "model.bin"))
        return d


class DeploymentFaultsTest(unittest.TestCase):
    """`ferry up`: the S3 server disappears while a new revision deploys."""

    def test_outage_keeps_the_old_revision_and_recovers_by_itself(self):
        import json
        from ferrytest import SEED_REQUEST, Up
        s3, access, secret = ferrytest.ensure_s3()
        ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"),
                            "s3://mlflow/faults/iris-v2/")
        proxy = FaultProxy(s3)
        up = Up(profile="none")
        try:
            ns = "faults"
            up.kubectl("create", "namespace", ns)
            manifest = """apiVersion: v1
kind: Secret
metadata:
  name: s3creds
  annotations:
    serving.kserve.io/s3-endpoint: 127.0.0.1:%d
    serving.kserve.io/s3-usehttps: "0"
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: %s
  AWS_SECRET_ACCESS_KEY: %s
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
secrets:
- name: s3creds
""" % (proxy.port, access, secret)
            up.kubectl("apply", "-n", ns, "-f", "-", input=manifest)
            isvc = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    serviceAccountName: sa
    model:
      modelFormat: {name: mlflow}
      protocolVersion: v2
      storageUri: %s
"""
            up.kubectl("apply", "-n", ns, "-f", "-", input=isvc % PREFIX.rstrip("/"))
            up.kubectl("wait", "--for=condition=Ready", "isvc/iris", "-n", ns, "--timeout=30s")
            host = "iris.%s.svc.cluster.local" % ns
            path = "/v2/models/iris/infer"
            self.assertEqual(up.internal(host, path, json=SEED_REQUEST).status_code, 200)

            proxy.down()  # S3 gone; deploy a new revision
            up.kubectl("apply", "-n", ns, "-f", "-",
                       input=isvc % "s3://mlflow/faults/iris-v2")
            deadline = time.time() + 20
            info = None
            while time.time() < deadline:
                obj = json.loads(up.kubectl("get", "isvc", "iris", "-n", ns, "-o",
                                            "json").stdout)
                ms = obj.get("status", {}).get("modelStatus", {})
                if ms.get("lastFailureInfo"):
                    info = ms["lastFailureInfo"]
                    break
                time.sleep(0.1)
            self.assertIsNotNone(info, "the outage never showed in status")
            self.assertIn("127.0.0.1:%d" % proxy.port, info["message"])
            self.assertIn("retrying automatically", info["message"])
            # The previous revision keeps serving through the outage.
            r = up.internal(host, path, json=SEED_REQUEST)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])

            proxy.up()  # S3 back on the same address: no re-apply needed
            deadline = time.time() + 30
            while time.time() < deadline:
                obj = json.loads(up.kubectl("get", "isvc", "iris", "-n", ns, "-o",
                                            "json").stdout)
                pred = obj.get("status", {}).get("components", {}).get("predictor", {})
                if (pred.get("latestReadyRevision") == pred.get("latestCreatedRevision") and
                        "lastFailureInfo" not in obj["status"].get("modelStatus", {}) and
                        pred.get("latestReadyRevision", "").endswith("00002")):
                    break
                time.sleep(0.2)
            else:
                self.fail("did not recover after S3 came back:\n" + json.dumps(obj["status"]))
            self.assertEqual(up.internal(host, path, json=SEED_REQUEST).status_code, 200)
        finally:
            up.stop()
            proxy.down()


if __name__ == "__main__":
    unittest.main(verbosity=2)
