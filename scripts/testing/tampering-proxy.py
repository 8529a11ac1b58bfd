#!/usr/bin/env python3
"""An HTTP relay for tests that plays a man in the middle at 127.0.0.1:TARGET: it forwards
everything, but changes what it relays. Prints its port, then one line per tampered reply.

    tampering-proxy.py TARGET_PORT [--blobs]

By default, between a satellite and Ground Control: the body of every desired state gets one
added space (still valid JSON) and keeps its signature header. With --blobs, between a satellite
and a peer or registry: the first byte of every blob body is flipped, its length kept.
"""
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

target = int(sys.argv[1])
blobs = "--blobs" in sys.argv[2:]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", target, timeout=400)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
        if blobs and "/blobs/sha256:" in self.path and reply.status in (200, 206) and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
            print(f"{time.time():.3f} tampered {self.path}", flush=True)
        elif not blobs and self.path.startswith("/api/v1/state") and reply.status == 200:
            data = b" " + data
            print(f"{time.time():.3f} tampered {self.path}", flush=True)
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in HOP:
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", reply.getheader("Content-Length") or "0")
            self.end_headers()
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
