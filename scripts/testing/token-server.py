#!/usr/bin/env python3
"""A token issuer for tests, after the Docker registry token specification: docker-registry in
`auth: token` mode sends clients here; this checks Basic credentials and answers a JWT (RS256,
the signing certificate in `x5c`) granting pull and push on the requested repository. Prints its
port, then one line per token issued.

    token-server.py CERT_PEM KEY_PEM USERNAME PASSWORD SERVICE ISSUER
"""
import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

cert_path, key_path, username, password, service, issuer = sys.argv[1:7]
with open(cert_path, "rb") as f:
    certificate = x509.load_pem_x509_certificate(f.read())
with open(key_path, "rb") as f:
    key = serialization.load_pem_private_key(f.read(), password=None)
chain = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        if self.headers.get("Authorization") != expected or query.get("service", [""])[0] != service:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in query.get("scope", []):
            kind, name, _ = scope.split(":", 2)
            access.append({"type": kind, "name": name, "actions": ["pull", "push"]})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": chain}
        claims = {"iss": issuer, "sub": username, "aud": service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": b64url(os.urandom(12)), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = signing_input + "." + b64url(signature)
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        print(f"issued {','.join(query.get('scope', []))}", flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
