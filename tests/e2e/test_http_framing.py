#!/usr/bin/python3
"""HTTP/1.1 request framing under smuggling attempts (RFC 9112 section 6), over raw
sockets against `ferry serve` and the external gateway listener of `ferry up`.

Every payload hides a second request where a lenient parser would find it (in
the body of the first, or right after a body it misframes). Ferry must answer
exactly one response (400; 501 for a coding it does not implement) and close
the connection, so the hidden request is never served. Well-formed pipelines
keep working. 127.0.0.1 only; a few dozen short connections."""
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import SEED_REQUEST, Serve, Up, mlflow_models  # noqa: E402


def exchange(port, payload, timeout=5):
    """Sends `payload` on a fresh connection; returns (bytes received until the
    server closed, whether it closed within `timeout`)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(payload)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
    finally:
        s.close()


def statuses(data):
    """Status codes of the responses in `data`, in order (each framed by its
    Content-Length, as Ferry frames every non-streamed response)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
        if not sep or not m:
            out.append(-1)  # garbage or a truncated head
            break
        out.append(int(m.group(1)))
        cl = re.search(rb"\r\nContent-Length: (\d+)", head, re.I)
        data = rest[int(cl.group(1)) if cl else 0:]
    return out


def smuggling_payloads(method_path, hidden):
    """(name, bytes, expected status) for each attack; `hidden` is a complete
    request that would be answered 200 if it were ever parsed."""
    start = method_path + b" HTTP/1.1\r\nHost: h\r\n"
    n = len(hidden)
    chunk = b"%x\r\n" % n + hidden + b"\r\n0\r\n\r\n"
    p = [
        # CL.TE: a front end using Content-Length sends everything; Ferry must not
        # read the body as chunked and then the hidden request.
        ("CL.TE", start + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
         % (5 + n) + hidden, 400),
        # TE.CL: the chunk holds the hidden request; Content-Length would stop short.
        ("TE.CL", start + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunk, 400),
        ("TE with space before the colon",
         start + b"Content-Length: %d\r\nTransfer-Encoding : chunked\r\n\r\n" % len(chunk) + chunk,
         400),
        ("TE xchunked", start + b"Transfer-Encoding: xchunked\r\n\r\n" + hidden, 400),
        ("TE xchunked with CL",
         start + b"Transfer-Encoding: xchunked\r\nContent-Length: %d\r\n\r\n" % n + hidden, 400),
        ("TE tab chunked with CL",
         start + b"Content-Length: %d\r\nTransfer-Encoding:\tchunked\r\n\r\n" % len(chunk) + chunk,
         400),
        ("TE duplicated", start + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n" +
         chunk, 400),
        ("TE duplicated, bogus first",
         start + b"Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, 400),
        ("TE chunked, identity", start + b"Transfer-Encoding: chunked, identity\r\n\r\n" + chunk,
         400),
        ("TE chunked twice", start + b"Transfer-Encoding: chunked, chunked\r\n\r\n" + chunk, 400),
        ("TE obs-fold", start + b"Transfer-Encoding:\r\n chunked\r\n\r\n" + chunk, 400),
        ("TE obs-fold after a value",
         start + b"Content-Length: %d\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n"
         % len(chunk) + chunk, 400),
        ("TE with vertical tab", start + b"Transfer-Encoding: \x0bchunked\r\n\r\n" + chunk, 400),
        ("TE after a bare LF", start + b"X-A: a\nTransfer-Encoding: chunked\r\n\r\n" + chunk, 400),
        ("TE after a bare CR", start + b"X-A: a\rTransfer-Encoding: chunked\r\n\r\n" + chunk, 400),
        ("TE in HTTP/1.0", method_path + b" HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n" + chunk, 400),
        ("TE gzip, chunked (a coding Ferry does not decode: 501)",
         start + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunk, 501),
        ("CL twice, different", start + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % n +
         hidden, 400),
        ("CL twice, equal", start + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, n) +
         hidden, 400),
        ("CL list", start + b"Content-Length: 0, %d\r\n\r\n" % n + hidden, 400),
        ("CL with a sign", start + b"Content-Length: +%d\r\n\r\n" % n + hidden, 400),
        ("NUL in a field value", start + b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n" + hidden, 400),
        ("unknown method", b"BREW " + method_path.split(b" ", 1)[1] +
         b" HTTP/1.1\r\nHost: h\r\n\r\n" + hidden, 400),
        ("space in the target", method_path + b"%20x y HTTP/1.1\r\nHost: h\r\n\r\n" + hidden,
         400),
    ]
    return p


class FramingChecks:
    """Shared by the two listeners; subclasses set port, method_path, hidden,
    and ok_request (a request answered 200)."""

    def test_smuggling_payloads_get_one_refusal_then_close(self):
        for name, payload, want in smuggling_payloads(self.method_path, self.hidden):
            with self.subTest(name):
                data, closed = exchange(self.port, payload)
                self.assertEqual(statuses(data), [want], "%s: %r" % (name, data[:400]))
                self.assertTrue(closed, "%s: the connection stayed open" % name)
                self.assertIn(b"Connection: close", data, name)

    def test_well_formed_pipeline_gets_two_answers(self):
        data, _ = exchange(self.port, self.ok_request + self.ok_request.replace(
            b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        self.assertEqual(statuses(data), [200, 200], data[:600])

    def test_chunked_request_then_pipelined_request(self):
        data, _ = exchange(self.port, self.chunked_ok + self.ok_request.replace(
            b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        self.assertEqual(statuses(data), [200, 200], data[:600])


def chunked(method_path, body, extra=b""):
    return (method_path + b" HTTP/1.1\r\nHost: h\r\n" + extra +
            b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")


class ServeFramingTest(FramingChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Serve(os.path.join(mlflow_models(), "iris_tensor"), name="iris")
        cls.port = cls.srv.port
        cls.method_path = b"POST /v2/models/iris/infer"
        cls.hidden = b"GET /v2/health/ready HTTP/1.1\r\nHost: h\r\n\r\n"
        cls.ok_request = cls.hidden
        import json
        cls.chunked_ok = chunked(b"POST /v2/models/iris/infer", json.dumps(SEED_REQUEST).encode(),
                                 b"Content-Type: application/json\r\n")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()


class UpGatewayFramingTest(FramingChecks, unittest.TestCase):
    """The external gateway listener (istio-ingressgateway) of `ferry up`."""

    @classmethod
    def setUpClass(cls):
        cls.up = Up()
        cls.port = cls.up.http_port
        cls.method_path = b"POST /oauth2/sign_in"
        cls.hidden = b"GET /oauth2/sign_in HTTP/1.1\r\nHost: h\r\n\r\n"
        cls.ok_request = cls.hidden
        # A form post without its CSRF token is refused by the page (403), but
        # framing-wise it is one well-formed chunked request.
        cls.chunked_ok = chunked(b"GET /oauth2/sign_in", b"x=1")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
