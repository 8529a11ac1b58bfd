#!/usr/bin/env python3
"""Receives Ground Control's event deliveries, as a subscriber's endpoint would.

    event-receiver.py PORT SECRET_FILE [DELAY_MS] [REDIRECT_STATUS REDIRECT_URL]

Listens on 127.0.0.1:PORT and prints "listening" once it does, then one JSON line per delivery:
the CloudEvent's id, type, subject and specversion, the Content-Type, and whether the signature
header (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">) is valid for the secret. Answers 204,
after DELAY_MS milliseconds (a slow receiver); with REDIRECT_STATUS (301, 302, 303, 307, 308),
answers that status with Location: REDIRECT_URL instead. A GET is printed as {"method": "GET"}
(a redirect followed as a GET would arrive so).
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
redirect = (int(sys.argv[4]), sys.argv[5]) if len(sys.argv) > 5 else None


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
        if redirect:
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Length", "0")
        else:
            self.send_response(204)
        self.end_headers()

    def do_GET(self):
        print(json.dumps({"method": "GET", "path": self.path}), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer.allow_reuse_address = True
server = HTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
