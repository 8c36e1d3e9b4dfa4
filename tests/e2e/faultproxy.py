"""A fault-injecting HTTP proxy in front of the S3 test server, for the fault
tests. It forwards each request unchanged (Host header included, so
SigV4 signatures still verify at the real server) unless a fault is set:
  "500"      answer 500 InternalError (S3's XML) without forwarding
  "truncate" forward, then send only half of the body and close
  "slow"     forward, then wait `delay` seconds before answering
  "corrupt"  forward, flipping one byte in the middle of an object's body
             (same length, so only a content check can notice)
  "down"     stop listening (connection refused) — see down()/up()
`faults_left` bounds how many requests get the fault (None = all); `requests`
records every request's method, path and headers.
127.0.0.1 only; a thread per connection; bounded by the tests' own loops."""
import http.client
import http.server
import socketserver
import threading
import time
import urllib.parse


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _relay(self):
        proxy = self.server.proxy
        body = b""
        if "Content-Length" in self.headers:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        proxy.record(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        fault = proxy.take_fault()
        proxy.count(fault)
        if fault == "500":
            payload = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                       b'<Message>injected by faultproxy</Message></Error>')
            self.send_response(500)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        up = urllib.parse.urlsplit(proxy.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items()}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if fault == "slow":
            time.sleep(proxy.delay)
        if fault == "corrupt" and self.command == "GET" and "?" not in self.path and data:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection"):
                self.send_header(k, v)
        if "content-length" not in (k.lower() for k, _ in resp.getheaders()):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "truncate" and self.command == "GET" and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _relay


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    def __init__(self, upstream, port=0):
        self.upstream = upstream
        self.fault = None
        self.faults_left = None
        self.delay = 2.0
        self.counts = {}
        self.requests = []  # (method, path, lower-case headers) of every request
        self._lock = threading.Lock()
        self.port = port
        self._server = None
        self.up()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def set(self, fault, times=None, delay=None):
        with self._lock:
            self.fault, self.faults_left = fault, times
            if delay is not None:
                self.delay = delay

    def take_fault(self):
        with self._lock:
            if self.fault is None or self.faults_left == 0:
                return None
            if self.faults_left is not None:
                self.faults_left -= 1
            return self.fault

    def record(self, method, path, headers):
        with self._lock:
            self.requests.append((method, path, headers))

    def count(self, fault):
        with self._lock:
            key = fault or "ok"
            self.counts[key] = self.counts.get(key, 0) + 1

    def up(self):
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
