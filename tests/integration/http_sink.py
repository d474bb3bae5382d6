#!/usr/bin/env python3
"""http_sink.py: the application url routes deliver to, in the integration tests.

usage: http_sink.py PORTFILE LOGFILE [--tls CERT KEY] [--gate FILE]

Listens on 127.0.0.1 (a free port, written to PORTFILE), HTTP/1.1 with
keep-alive, and logs every request as one JSON line in LOGFILE: method,
path, headers (a list of [name, value] as sent), body (base64), time
(time.time() once the body is read) and conn (the connection's number, from
1). Answers by path:
  /ok               204
  /status/NNN       NNN, with a short body
  /flaky            500 the first time for an X-Hookq-Delivery-Id, then 200
  /retry-after/N    429 with Retry-After: N the first time for a delivery id, then 200
  /hang             never answers (the request is logged; other connections go on)
  /gate             200 once the --gate FILE exists (checked every 50 ms, 60 s at most)
Exits on SIGTERM.
"""
import base64
import http.server
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import time

PORTFILE, LOGFILE = sys.argv[1], sys.argv[2]
TLS = GATE = None
args = sys.argv[3:]
while args:
    if args[0] == "--tls":
        TLS, args = (args[1], args[2]), args[3:]
    elif args[0] == "--gate":
        GATE, args = args[1], args[2:]
    else:
        sys.exit("http_sink.py: unknown option " + args[0])

lock = threading.Lock()
seen = set()
connections = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with lock:
            connections[0] += 1
            self.conn_no = connections[0]

    def log_message(self, *a):
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        rec = {"method": "POST", "path": self.path, "headers": list(self.headers.items()),
               "body": base64.b64encode(body).decode(), "time": time.time(),
               "conn": self.conn_no}
        with lock:
            with open(LOGFILE, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
        did = self.headers.get("X-Hookq-Delivery-Id", "")
        first = False
        with lock:
            key = (self.path, did)
            if key not in seen:
                seen.add(key)
                first = True
        p = self.path
        if p == "/ok":
            self.answer(204)
        elif p.startswith("/status/"):
            self.answer(int(p[8:]), b"status body from the sink")
        elif p == "/flaky":
            self.answer(500, b"flaky: first attempt fails") if first else self.answer(200, b"ok")
        elif p.startswith("/retry-after/"):
            if first:
                self.answer(429, b"slow down", [("Retry-After", p[13:])])
            else:
                self.answer(200, b"ok")
        elif p == "/hang":
            time.sleep(3600)
        elif p == "/gate":
            for _ in range(1200):
                if GATE and os.path.exists(GATE):
                    self.answer(200, b"ok")
                    return
                time.sleep(0.05)
            self.close_connection = True
        else:
            self.answer(404, b"no such path")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client gone mid-answer (the killed worker's): nothing to report


srv = Server(("127.0.0.1", 0), Handler)
if TLS:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(TLS[0], TLS[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
with open(PORTFILE + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
