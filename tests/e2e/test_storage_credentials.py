#!/usr/bin/python3
"""The credential sources KServe's storage initializer honours, through
`ferry storage-initializer` against real peers on 127.0.0.1:

- AWS_SESSION_TOKEN: sent as x-amz-security-token and signed (the S3 test
  server checks the signature; a recording proxy in front of it sees the
  header);
- web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN traded at
  a small STS server written here, which checks the AssumeRoleWithWebIdentity
  request, then a signed download with the temporary keys; refusals, and STS
  over HTTPS with AWS_CA_BUNDLE;
- STORAGE_CONFIG with STORAGE_OVERRIDE_CONFIG (KServe's storage spec);
- `<host>-headers` for http(s) downloads, over HTTPS verified with the CA
  bundle KServe mounts (CA_BUNDLE_CONFIGMAP_NAME / CA_BUNDLE_VOLUME_MOUNT_POINT);
- and that none of the secrets appears in the output.

Run with /usr/bin/python3 (Debian's requests, awscli; openssl for test certs).
"""
import http.server
import json
import os
import re
import shutil
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultproxy import FaultProxy  # noqa: E402
from ferrytest import FERRY_BIN, ensure_s3, mlflow_models, s3_upload  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/ferry-models"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bXk6c2EifQ.c2ln"
SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDH+session/token=="


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(handler, tls=None):
    server = _Server(("127.0.0.1", 0), handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class StsHandler(http.server.BaseHTTPRequestHandler):
    """AWS STS's query API, AssumeRoleWithWebIdentity only. Answers with the
    S3 test server's keys and SESSION_TOKEN when the request is what
    botocore sends; with STS's <ErrorResponse> otherwise."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def error(self, status, code, message):
        body = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                "<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                "</ErrorResponse>" % (code, message)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        server.calls.append((self.path, self.headers.get("Content-Type", ""), form))
        if self.path != "/" or not self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):
            return self.error(400, "InvalidAction", "not a query API request")
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != "2011-06-15":
            return self.error(400, "InvalidAction", "unexpected action")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", form.get("RoleSessionName", "")):
            return self.error(400, "ValidationError", "bad RoleSessionName")
        if form.get("RoleArn") != ROLE:
            return self.error(403, "AccessDenied",
                              "not authorized to perform sts:AssumeRoleWithWebIdentity")
        if form.get("WebIdentityToken") != server.accept_token:
            return self.error(400, "InvalidIdentityToken", "Couldn't retrieve verification key")
        _, access, secret = ensure_s3()
        xml = ("<AssumeRoleWithWebIdentityResponse "
               "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<AssumeRoleWithWebIdentityResult><Credentials>"
               "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
               "<SessionToken>%s</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
               "</Credentials></AssumeRoleWithWebIdentityResult>"
               "</AssumeRoleWithWebIdentityResponse>" % (access, secret, SESSION_TOKEN)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)


class FileHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file and wants `Authorization: Bearer <server.bearer>`."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.answer(body=False)

    def do_GET(self):
        self.answer(body=True)

    def answer(self, body):
        self.server.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != "Bearer " + self.server.bearer:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = self.server.payload
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


def make_cert(tmp):
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def base_env():
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "S3_", "STORAGE_", "CA_BUNDLE_"))}


class CredentialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ferry-creds-")
        cls.endpoint, cls.access, cls.secret = ensure_s3()
        cls.src = os.path.join(mlflow_models(), "iris_tensor")
        cls.uri = "s3://mlflow/creds-%s/artifacts/iris_model" % uuid.uuid4().hex[:8]
        s3_upload(cls.src, cls.uri)
        cls.proxy = FaultProxy(cls.endpoint)
        cls.token_file = os.path.join(cls.tmp, "token")
        with open(cls.token_file, "w") as f:
            f.write(JWT + "\n")
        cls.cert, cls.key = make_cert(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.proxy.requests.clear()

    def run_init(self, env, uri=None):
        dest = tempfile.mkdtemp(prefix="dest-", dir=self.tmp)
        p = subprocess.run([FERRY_BIN, "storage-initializer", uri or self.uri, dest], env=env,
                           capture_output=True, text=True, timeout=120)
        return p, dest

    def s3_env(self, **extra):
        env = base_env()
        env.update(AWS_ENDPOINT_URL=self.proxy.endpoint, AWS_DEFAULT_REGION="us-east-1")
        env.update(extra)
        return env

    def assert_model(self, dest):
        self.assertTrue(os.path.exists(os.path.join(dest, "MLmodel")), os.listdir(dest))

    def assert_no_secrets(self, p):
        for s in (self.secret, SESSION_TOKEN, JWT):
            self.assertNotIn(s, p.stdout + p.stderr)

    def assert_token_signed(self):
        self.assertTrue(self.proxy.requests)
        for method, path, headers in self.proxy.requests:
            self.assertEqual(headers.get("x-amz-security-token"), SESSION_TOKEN, path)
            signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
            self.assertIn("x-amz-security-token", signed.split(";"))

    def test_session_token_is_sent_and_signed(self):
        p, dest = self.run_init(self.s3_env(AWS_ACCESS_KEY_ID=self.access,
                                            AWS_SECRET_ACCESS_KEY=self.secret,
                                            AWS_SESSION_TOKEN=SESSION_TOKEN))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_model(dest)
        self.assert_token_signed()
        self.assert_no_secrets(p)

    def sts(self, tls=False, accept=JWT):
        server = serve(StsHandler, (self.cert, self.key) if tls else None)
        server.calls, server.accept_token = [], accept
        self.addCleanup(server.shutdown)
        scheme = "https" if tls else "http"
        return server, "%s://127.0.0.1:%d" % (scheme, server.server_address[1])

    def irsa_env(self, sts_url, **extra):
        return self.s3_env(AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file, AWS_ROLE_ARN=ROLE,
                           AWS_STS_REGIONAL_ENDPOINTS="regional", AWS_ENDPOINT_URL_STS=sts_url,
                           **extra)

    def test_web_identity_gets_temporary_keys_from_sts(self):
        server, url = self.sts()
        p, dest = self.run_init(self.irsa_env(url))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_model(dest)
        self.assertEqual(len(server.calls), 1)
        path, ctype, form = server.calls[0]
        self.assertEqual(form["WebIdentityToken"], JWT)
        self.assertEqual(form["RoleArn"], ROLE)
        self.assert_token_signed()
        self.assert_no_secrets(p)

    def test_static_keys_win_over_web_identity(self):
        server, url = self.sts()
        p, dest = self.run_init(self.irsa_env(url, AWS_ACCESS_KEY_ID=self.access,
                                              AWS_SECRET_ACCESS_KEY=self.secret))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(server.calls, [])
        self.assertNotIn("x-amz-security-token", self.proxy.requests[0][2])

    def test_refused_token_names_role_file_and_sts_error(self):
        server, url = self.sts(accept="another-token")
        p, _ = self.run_init(self.irsa_env(url))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        for part in (ROLE, self.token_file, url, "InvalidIdentityToken",
                     "environment variable AWS_ENDPOINT_URL_STS"):
            self.assertIn(part, p.stderr)
        self.assertEqual(self.proxy.requests, [])  # no S3 request without keys
        self.assert_no_secrets(p)
        missing = self.irsa_env(url)
        missing["AWS_WEB_IDENTITY_TOKEN_FILE"] = os.path.join(self.tmp, "no-such-token")
        p, _ = self.run_init(missing)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-token", p.stderr)
        self.assertIn("eks.amazonaws.com/role-arn", p.stderr)

    def test_sts_over_https_needs_the_ca_bundle(self):
        server, url = self.sts(tls=True)
        p, _ = self.run_init(self.irsa_env(url))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("TLS", p.stderr)
        p, dest = self.run_init(self.irsa_env(url, AWS_CA_BUNDLE=self.cert))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_model(dest)

    def test_storage_config_with_override(self):
        config = {"type": "s3", "access_key_id": self.access, "secret_access_key": "wrong",
                  "endpoint_url": self.proxy.endpoint, "region": "us-east-1", "bucket": "mlflow"}
        env = base_env()
        env["STORAGE_CONFIG"] = json.dumps(config)
        p, _ = self.run_init(env)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("SignatureDoesNotMatch", p.stderr)
        self.assertIn("STORAGE_CONFIG", p.stderr)
        env["STORAGE_OVERRIDE_CONFIG"] = json.dumps({"secret_access_key": self.secret})
        p, dest = self.run_init(env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_model(dest)

    def https_file_server(self, bearer):
        server = serve(FileHandler, (self.cert, self.key))
        server.bearer, server.seen = bearer, []
        with open(os.path.join(self.src, "MLmodel"), "rb") as f:
            server.payload = f.read()
        self.addCleanup(server.shutdown)
        return server, "https://127.0.0.1:%d/models/iris/MLmodel" % server.server_address[1]

    def test_host_headers_over_https_with_kserve_ca_bundle(self):
        server, url = self.https_file_server("s3cr3t-bearer")
        ca_dir = os.path.join(self.tmp, "custom-certs")
        os.makedirs(ca_dir, exist_ok=True)
        shutil.copy(self.cert, os.path.join(ca_dir, "cabundle.crt"))
        env = base_env()
        env.update(CA_BUNDLE_CONFIGMAP_NAME="global-ca-bundle", CA_BUNDLE_VOLUME_MOUNT_POINT=ca_dir)
        p, _ = self.run_init(env, url)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("`127.0.0.1-headers`", p.stderr)
        env["127.0.0.1-headers"] = json.dumps({"Authorization": "Bearer s3cr3t-bearer"})
        p, dest = self.run_init(env, url)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(set(os.listdir(dest)) - {".ferry-complete"}), ["MLmodel"])
        self.assertIn("Bearer s3cr3t-bearer", server.seen)
        self.assertNotIn("s3cr3t-bearer", p.stdout + p.stderr)
        # The ConfigMap named but not mounted: KServe's error, not a TLS one.
        env["CA_BUNDLE_VOLUME_MOUNT_POINT"] = os.path.join(self.tmp, "not-mounted")
        p, _ = self.run_init(env, url)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not-mounted/cabundle.crt", p.stderr)
        bad = dict(env, **{"127.0.0.1-headers": "{\"X\": \"a\\r\\nInjected: 1\"}"})
        bad.pop("CA_BUNDLE_VOLUME_MOUNT_POINT")
        bad.pop("CA_BUNDLE_CONFIGMAP_NAME")
        p, _ = self.run_init(bad, url)
        self.assertEqual(p.returncode, 1)
        self.assertIn("one-line string value", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
