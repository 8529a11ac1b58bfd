#!/usr/bin/env python3
"""An older Ground Control, as its protocol documents describe it: a proxy in front of the
current one that takes only the requests the given release's openapi.json defines and answers
only with what that release's replies held. A request outside the document gets what that
release gave: 400 BODY_INVALID for a required body left out, 404 for an unknown path. Every
request is logged as one JSON line (method, path, query, If-Match, body length).

    older-ground-control.py PORT UPSTREAM-URL OPENAPI-JSON LOG-FILE
"""
import http.client
import http.server
import json
import re
import socketserver
import sys
import threading
import urllib.parse

port, upstream, document_path, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
document = json.load(open(document_path))
target = urllib.parse.urlsplit(upstream)
log_lock = threading.Lock()


def template(path):
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")


routes = [(template(path), path) for path in document["paths"]]


def resolve(schema):
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = document["components"]["schemas"][name]
    return schema


def operation(method, path):
    for pattern, name in routes:
        if pattern.match(path):
            return document["paths"][name].get(method.lower())
    return None


def older(value, schema):
    """The reply as the older release gave it: only the properties its schema names."""
    schema = resolve(schema)
    if isinstance(value, dict) and "properties" in schema:
        return {k: older(v, schema["properties"][k]) for k, v in value.items() if k in schema["properties"]}
    if isinstance(value, list) and "items" in schema:
        return [older(item, schema["items"]) for item in value]
    return value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def refuse(self, status, code, message):
        body = json.dumps({"code": code, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with log_lock, open(log_path, "a") as log:
            log.write(json.dumps({"method": self.command, "path": split.path, "query": split.query,
                                  "ifMatch": self.headers.get("If-Match"), "bodyLength": len(body)}) + "\n")
        spec = operation(self.command, split.path)
        if spec is None:
            return self.refuse(404, "NOT_FOUND", "no such route in this release")
        if spec.get("requestBody", {}).get("required") and not body:
            return self.refuse(400, "BODY_INVALID", "the body is not valid JSON")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=400)
        connection.request(self.command, self.path, body=body or None, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
        schema = spec.get("responses", {}).get(str(reply.status), {}).get("content", {}) \
            .get("application/json", {}).get("schema")
        if schema and reply.getheader("Content-Type", "").startswith("application/json"):
            # Re-encoded only when something the older release did not send was left out: a
            # signed body (the desired state) must keep its exact bytes.
            value = json.loads(data)
            kept = older(value, schema)
            if kept != value:
                data = json.dumps(kept).encode()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


Server(("127.0.0.1", port), Handler).serve_forever()
