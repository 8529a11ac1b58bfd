#!/usr/bin/env python3
"""An HTTP proxy for tests that stands in for a rate-limiting registry in front of a real one:
answers the first request with 429 (Retry-After: 1) and the second with 503, then forwards
everything to 127.0.0.1:TARGET. Prints its port, then one line per request with a timestamp.

    throttling-proxy.py TARGET_PORT
"""
import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

target = int(sys.argv[1])
lock = threading.Lock()
count = {"n": 0}
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def refuse(self, status, extra):
        print(f"{time.time():.3f} {status} {self.command} {self.path}", flush=True)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def forward(self):
        with lock:
            count["n"] += 1
            n = count["n"]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if n == 1:
            return self.refuse(429, {"Retry-After": "1"})
        if n == 2:
            return self.refuse(503, {})
        upstream = http.client.HTTPConnection("127.0.0.1", target, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        print(f"{time.time():.3f} {reply.status} {self.command} {self.path}", flush=True)
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in HOP:
                self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            while chunk := reply.read(65536):
                self.wfile.write(chunk)
        upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
