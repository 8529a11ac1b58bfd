#!/usr/bin/env python3
"""Receives Ground Control's event deliveries, as a subscriber's endpoint would.

    event-receiver.py PORT SECRET_FILE [DELAY_MS]

Listens on 127.0.0.1:PORT and prints "listening" once it does, then one JSON line per delivery:
the CloudEvent's id, type, subject and specversion, the Content-Type, and whether the signature
header (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">) is valid for the secret. Answers 204,
after DELAY_MS milliseconds (a slow receiver).
"""
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

port = int(sys.argv[1])
secret = open(sys.argv[2], "rb").read().strip()
delay = int(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0


def valid(header, body):
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields:
        return False
    expected = hmac.new(secret, fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(delay)
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        print(json.dumps({
            "id": event.get("id"), "type": event.get("type"), "subject": event.get("subject"),
            "specversion": event.get("specversion"), "data": event.get("data"),
            "contentType": self.headers.get("Content-Type"),
            "valid": valid(self.headers.get("X-Ground-Control-Signature", ""), body),
        }), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer.allow_reuse_address = True
server = HTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
