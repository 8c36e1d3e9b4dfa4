"""Libraries opened on first use (src/common/lazy_library.h): `ferry serve` of
a model on disk (gRPC off: the gRPC module links OpenSSL itself) maps none of
libcrypto, libssl, libsqlite3, libcurl and libarchive after answering, nor
(outside sanitizer builds, which keep the shared C++ runtime) libsimdjson and
libstdc++ while its requests take the fast decoders — a request that needs
simdjson then opens it and is answered; and
each against a broken copy: LD_LIBRARY_PATH puts a file that is not a shared
object in front of the system's libcrypto.so.3, libssl.so.3 or
libsqlite3.so.0. Every command that never calls the library still runs
(`ferry --version`, `ferry serve` of a model on disk answering a predict), and
the first command that does call it stops with one message naming the
library, the loader's reason and the Debian package to install, instead of
the dynamic loader refusing to start the binary.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import FERRY_BIN, SEED_REQUEST, Serve  # noqa: E402

# soname -> (Debian package, a command that calls the library first thing).
LIBRARIES = {
    # `ferry passwd` hashes the password (PBKDF2, libcrypto).
    "libcrypto.so.3": ("libssl3", lambda data: ([FERRY_BIN, "passwd", "user@example.com",
                                                 "--data-dir", data], "a-long-password\n")),
    # `ferry up` opens its SQLite store before it listens.
    "libsqlite3.so.0": ("libsqlite3-0", lambda data: ([FERRY_BIN, "up", "--data-dir", data,
                                                       "--bind", "127.0.0.1", "--api-port", "0",
                                                       "--http-port", "0", "--internal-port",
                                                       "0"], "")),
}


def static_cxx_runtime():
    """Whether FERRY_BIN's build links the C++ runtime statically (CMakeLists.txt,
    ferry_static_cxx_runtime): every build but the sanitizer and fuzz ones."""
    cache = os.path.join(os.path.dirname(FERRY_BIN), "CMakeCache.txt")
    with open(cache) as f:
        text = f.read()
    return all("%s:BOOL=ON" % opt not in text
               for opt in ("FERRY_SANITIZE", "FERRY_TSAN", "FERRY_FUZZ"))


def mapped(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def broken_dir(soname):
    d = tempfile.mkdtemp(prefix="ferry-broken-lib-")
    with open(os.path.join(d, soname), "w") as f:
        f.write("not a shared object\n")
    return d


class BrokenLibraryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()

    def env(self, libdir):
        return dict(os.environ, LD_LIBRARY_PATH=libdir)

    def test_serve_maps_none_of_them(self):
        with Serve(os.path.join(self.models, "iris_tensor"), name="irish-s3",
                   extra=["--grpc_port", "0"]) as s:
            for _ in range(2):
                r = s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
                self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(s.get("/metrics").status_code, 200)
            maps = mapped(s.proc.pid)
            self.assertIn("libferry_sklearn.so", maps)
            for lib in ("libcrypto", "libssl", "libsqlite3", "libcurl", "libarchive"):
                self.assertNotIn(lib, maps)
            if static_cxx_runtime():
                self.assertNotIn("libsimdjson", maps)
                self.assertNotIn("libstdc++", maps)
            # An id with a JSON escape is read by simdjson (protocol/v2_request_fast.h
            # leaves escapes to it): the library opens on that request, which is answered.
            body = json.dumps(SEED_REQUEST)[:-1] + ', "id": "seed\\u002d1"}'
            r = s.post("/v2/models/irish-s3/infer", data=body.encode(),
                       headers={"Content-Type": "application/json"})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["id"], "seed-1")
            self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
            self.assertIn("libsimdjson", mapped(s.proc.pid))
            # And its error table: a body that is not JSON gets simdjson's own reason.
            r = s.post("/v2/models/irish-s3/infer", data=b'{"inputs": [}',
                       headers={"Content-Type": "application/json"})
            self.assertEqual(r.status_code, 400, r.text)
            self.assertIn("is not valid JSON (", r.text)
            self.assertIn("check the body and Content-Type", r.text)
            self.assertNotIn("unknown simdjson error", r.text)

    def test_commands_that_never_call_it_run(self):
        for soname in ("libcrypto.so.3", "libssl.so.3", "libsqlite3.so.0"):
            with self.subTest(soname=soname):
                libdir = broken_dir(soname)
                try:
                    v = subprocess.run([FERRY_BIN, "--version"], env=self.env(libdir),
                                       capture_output=True, text=True, timeout=30)
                    self.assertEqual(v.returncode, 0, v.stderr)
                    self.assertIn("ferry ", v.stdout)
                    with Serve(os.path.join(self.models, "iris_tensor"), name="irish-s3",
                               extra=["--grpc_port", "0"], env=self.env(libdir)) as s:
                        r = s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
                        self.assertEqual(r.status_code, 200, r.text)
                        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
                finally:
                    shutil.rmtree(libdir)

    def test_first_call_names_library_reason_and_package(self):
        for soname, (package, command) in LIBRARIES.items():
            with self.subTest(soname=soname):
                libdir = broken_dir(soname)
                data = tempfile.mkdtemp(prefix="ferry-lazy-data-")
                try:
                    argv, stdin = command(data)
                    p = subprocess.run(argv, env=self.env(libdir), input=stdin,
                                       capture_output=True, text=True, timeout=60)
                finally:
                    shutil.rmtree(libdir)
                    shutil.rmtree(data)
                self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
                # The loader's own reason names the broken file.
                self.assertIn("ferry: cannot use %s: %s/%s" % (soname, libdir, soname), p.stderr)
                self.assertIn("install the Debian package %s (apt-get install %s)"
                              % (package, package), p.stderr)

    def test_working_library_is_used(self):
        # The same command with the system's library succeeds: the failure
        # above is the broken copy's, not the command's.
        data = tempfile.mkdtemp(prefix="ferry-lazy-data-")
        try:
            p = subprocess.run([FERRY_BIN, "passwd", "user@example.com", "--data-dir", data],
                               input="a-long-password\n", capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(data, "users")) as f:
                self.assertIn("user@example.com", f.read())
        finally:
            shutil.rmtree(data)


if __name__ == "__main__":
    unittest.main()
