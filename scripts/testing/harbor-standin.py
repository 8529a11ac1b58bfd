#!/usr/bin/env python3
"""A stand-in for Harbor, for tests: Harbor cannot run here (it needs a container engine). It
implements the part of Harbor's v2.0 API that Ground Control uses, written from Harbor's
published swagger, in front of a real docker-registry that serves the Distribution API.

    harbor-standin.py REGISTRY_PORT STATE_FILE ADMIN_USER:ADMIN_PASSWORD [PORT]

Listens on PORT (default: a free one; give it to start again where clients look). Prints `port N`, then a line per event it delivers. State (robots, scan results, push times,
webhook policies) is kept in STATE_FILE, so a restart (Harbor down, then back) loses nothing.

Distribution API (`/v2/…`, proxied to the registry): Basic auth of the admin, or of a robot that
is live (not deleted, disabled or expired) and holds `pull` (reads) or `push` (writes) on the
repository's project; anything else is 401, or 403 `DENIED` for a robot without the right. A
push by the admin records the push time and delivers `PUSH_ARTIFACT`; a manifest delete
`DELETE_ARTIFACT`.

Harbor API (`/api/v2.0/…`, the admin only):
  GET    /ping                                              Pong
  GET    /projects                                          paged (page, page_size), X-Total-Count
  GET    /projects/{p}/repositories                         paged
  GET    /projects/{p}/repositories/{r}/artifacts           paged, with_tag, with_scan_overview;
                                                            r with '/' encoded twice (a%252Fb)
  GET    /projects/{p}/repositories/{r}/artifacts/{ref}     one artifact by tag or digest
  POST   /robots                 RobotCreate -> 201 RobotCreated (name robot$<name>, or
                                 robot$<project>+<name> at level project), 409 for a taken name
  GET    /robots, /robots/{id}   Robot (no secret)
  PUT    /robots/{id}            Robot: permissions, duration, disable
  PATCH  /robots/{id}            RobotSec -> RobotSec: a new secret (the old stops working)
  DELETE /robots/{id}
  POST   /projects/{p}/webhook/policies   WebhookPolicy (targets[].address, auth_header, event_types)

Test controls (no auth), not Harbor's:
  PUT    /standin/scan/{p}/{r…}@{digest}   {"severity": "High", "scan_status": "Success"}: sets the
                                           scan overview and delivers SCANNING_COMPLETED
  GET    /standin/robots                   every robot with its secret, for assertions
"""
import base64
import datetime
import hashlib
import http.client
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

registry_port, state_file, admin = int(sys.argv[1]), sys.argv[2], sys.argv[3]
listen_port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
# The Host header goes on: the registry builds upload locations from it, which must lead back here.
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length", "authorization"}
SCAN_MIME = "application/vnd.security.vulnerability.report; version=1.1"
lock = threading.Lock()


def load():
    try:
        with open(state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"robots": [], "next_robot": 1, "scans": {}, "pushed": {}, "policies": []}


state = load()


def save():
    temporary = state_file + ".new"
    with open(temporary, "w") as f:
        json.dump(state, f)
    os.replace(temporary, state_file)


def now_iso(at=None):
    return datetime.datetime.fromtimestamp(at or time.time(), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def say(line):
    print(line, flush=True)


def registry(method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", registry_port, timeout=300)
    connection.request(method, path, body=body, headers=headers or {})
    reply = connection.getresponse()
    data = reply.read()
    connection.close()
    return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data


def catalog():
    status, _, data = registry("GET", "/v2/_catalog?n=1000")
    return json.loads(data).get("repositories", []) if status == 200 else []


def tags(repository):
    status, _, data = registry("GET", f"/v2/{repository}/tags/list?n=1000")
    return (json.loads(data).get("tags") or []) if status == 200 else []


def digest_of(repository, reference):
    accept = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json"])
    status, headers, _ = registry("HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": accept})
    return headers.get("docker-content-digest") if status == 200 else None


# --- who is asking ----------------------------------------------------------------------------

def credentials(header):
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def is_admin(header):
    return credentials(header) == tuple(admin.split(":", 1))


def live_robot(header):
    pair = credentials(header)
    if not pair:
        return None
    with lock:
        for robot in state["robots"]:
            if robot["name"] != pair[0] or robot.get("disable"):
                continue
            if not secrets.compare_digest(robot["secret_hash"], hashlib.sha256(pair[1].encode()).hexdigest()):
                return None
            if robot["expires_at"] != -1 and robot["expires_at"] < time.time():
                return None
            return robot
    return None


def robot_may(robot, project, action):
    for permission in robot.get("permissions") or []:
        if permission.get("kind") == "project" and permission.get("namespace") in (project, "*"):
            if any(a.get("resource") == "repository" and a.get("action") == action for a in permission.get("access") or []):
                return True
    return False


# --- events -----------------------------------------------------------------------------------

def deliver(event_type, repository, resources):
    project, _, name = repository.partition("/")
    payload = {
        "type": event_type, "occur_at": int(time.time()), "operator": "admin",
        "event_data": {
            "resources": resources,
            "repository": {"date_created": int(time.time()), "name": name, "namespace": project, "repo_full_name": repository, "repo_type": "private"},
        },
    }
    with lock:
        policies = [p for p in state["policies"] if p["project"] == project and p.get("enabled", True) and event_type in p.get("event_types", [])]
    for policy in policies:
        for target in policy.get("targets") or []:
            threading.Thread(target=post_event, args=(target, payload), daemon=True).start()


def post_event(target, payload):
    request = urllib.request.Request(target["address"], data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if target.get("auth_header"):
        request.add_header("Authorization", target["auth_header"])
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            say(f"delivered {payload['type']} to {target['address']}: {reply.status}")
    except Exception as error:  # Harbor retries failed deliveries; a test sees the failure here.
        say(f"delivery of {payload['type']} to {target['address']} failed: {error}")


# --- the Harbor API ---------------------------------------------------------------------------

def paged(items, query):
    page = max(1, int(query.get("page", ["1"])[0]))
    size = max(1, min(100, int(query.get("page_size", ["10"])[0])))
    return items[(page - 1) * size: page * size], len(items)


def projects():
    with lock:
        declared = {p["project"] for p in state["policies"]}
    return sorted({repository.split("/", 1)[0] for repository in catalog()} | declared)


def artifacts(repository, with_tag, with_scan):
    by_digest = {}
    for tag in tags(repository):
        digest = digest_of(repository, tag)
        if digest:
            by_digest.setdefault(digest, []).append(tag)
    result = []
    with lock:
        pushed, scans = dict(state["pushed"]), dict(state["scans"])
    for digest, names in by_digest.items():
        at = pushed.get(f"{repository}@{digest}", 0)
        artifact = {"digest": digest, "repository_name": repository, "push_time": now_iso(at), "type": "IMAGE"}
        if with_tag:
            artifact["tags"] = [{"name": n, "push_time": now_iso(pushed.get(f"{repository}:{n}", at))} for n in sorted(names)]
        if with_scan and f"{repository}@{digest}" in scans:
            artifact["scan_overview"] = {SCAN_MIME: scans[f"{repository}@{digest}"]}
        result.append((at, artifact))
    return [artifact for _, artifact in sorted(result, key=lambda pair: pair[0], reverse=True)]


def public_robot(robot):
    return {k: v for k, v in robot.items() if k != "secret_hash"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, code, message, headers=None):
        self.reply(status, {"errors": [{"code": code, "message": message}]}, headers)

    def body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def route(self):
        raw = self.path.split("?", 1)[0]
        query = urllib.parse.parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}
        if raw.startswith("/v2"):
            return self.distribution()
        if raw.startswith("/standin/"):
            return self.controls(urllib.parse.unquote(raw))
        if not raw.startswith("/api/v2.0/"):
            return self.error(404, "NOT_FOUND", "no such endpoint")
        if not is_admin(self.headers.get("Authorization")):
            return self.error(401, "UNAUTHORIZED", "unauthorized", {"WWW-Authenticate": 'Basic realm="harbor"'})
        # Harbor's router decodes the path once: a repository name holding '/' must arrive encoded
        # twice (a%252Fb) to stay one segment.
        parts = urllib.parse.unquote(raw)[len("/api/v2.0/"):].split("/")
        return self.api(parts, query)

    def api(self, parts, query):
        if parts == ["ping"]:
            return self.reply(200, b"Pong")
        if parts == ["projects"] and self.command == "GET":
            items, total = paged([{"project_id": i + 1, "name": n} for i, n in enumerate(projects())], query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(parts) == 3 and parts[0] == "projects" and parts[2] == "repositories" and self.command == "GET":
            names = [r for r in catalog() if r.split("/", 1)[0] == parts[1]]
            items, total = paged([{"name": r, "project_id": 1} for r in names], query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(parts) == 5 and parts[0] == "projects" and parts[2] == "repositories" and parts[4] == "artifacts" and self.command == "GET":
            repository = parts[1] + "/" + urllib.parse.unquote(parts[3])
            if repository not in catalog():
                return self.error(404, "NOT_FOUND", f"repository {repository} not found")
            flag = lambda name: query.get(name, ["false"])[0] == "true"
            items, total = paged(artifacts(repository, flag("with_tag"), flag("with_scan_overview")), query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(parts) == 6 and parts[0] == "projects" and parts[2] == "repositories" and parts[4] == "artifacts" and self.command == "GET":
            repository = parts[1] + "/" + urllib.parse.unquote(parts[3])
            reference = urllib.parse.unquote(parts[5])
            digest = reference if reference.startswith("sha256:") else digest_of(repository, reference)
            flag = lambda name: query.get(name, ["false"])[0] == "true"
            found = [a for a in artifacts(repository, flag("with_tag"), flag("with_scan_overview")) if a["digest"] == digest] if digest else []
            if not found:
                return self.error(404, "NOT_FOUND", f"artifact {repository}:{reference} not found")
            return self.reply(200, found[0])
        if len(parts) == 4 and parts[0] == "projects" and parts[2:] == ["webhook", "policies"] and self.command == "POST":
            policy = json.loads(self.body() or b"{}")
            policy["project"] = parts[1]
            with lock:
                state["policies"].append(policy)
                save()
            return self.reply(201)
        if parts[0] == "robots":
            return self.robots(parts[1:], query)
        return self.error(404, "NOT_FOUND", "no such endpoint")

    def robots(self, rest, query):
        if not rest and self.command == "POST":
            request = json.loads(self.body() or b"{}")
            level = request.get("level", "system")
            permissions = request.get("permissions") or []
            if level == "project":
                if len(permissions) != 1:
                    return self.error(400, "BAD_REQUEST", "a project robot has the permissions of one project")
                name = f"robot${permissions[0].get('namespace')}+{request.get('name')}"
            else:
                name = f"robot${request.get('name')}"
            duration = int(request.get("duration", -1))
            secret = request.get("secret") or secrets.token_urlsafe(24)
            with lock:
                if any(r["name"] == name for r in state["robots"]):
                    return self.error(409, "CONFLICT", f"robot {name} exists")
                robot = {
                    "id": state["next_robot"], "name": name, "description": request.get("description", ""), "level": level,
                    "duration": duration, "disable": bool(request.get("disable", False)), "permissions": permissions,
                    "expires_at": -1 if duration == -1 else int(time.time()) + duration * 86400,
                    "creation_time": now_iso(), "secret_hash": hashlib.sha256(secret.encode()).hexdigest(),
                }
                state["next_robot"] += 1
                state["robots"].append(robot)
                save()
            say(f"robot created {name}")
            return self.reply(201, {"id": robot["id"], "name": name, "secret": secret, "creation_time": robot["creation_time"],
                                    "expires_at": robot["expires_at"]}, {"Location": f"/api/v2.0/robots/{robot['id']}"})
        if not rest and self.command == "GET":
            with lock:
                robots = [public_robot(r) for r in state["robots"]]
            q = query.get("q", [""])[0]
            if q.startswith("name="):
                robots = [r for r in robots if r["name"] == q[5:] or r["name"].endswith("$" + q[5:]) or r["name"].endswith("+" + q[5:])]
            items, total = paged(robots, query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(rest) != 1 or not rest[0].isdigit():
            return self.error(404, "NOT_FOUND", "no such robot endpoint")
        robot_id = int(rest[0])
        with lock:
            robot = next((r for r in state["robots"] if r["id"] == robot_id), None)
            if robot is None:
                return self.error(404, "NOT_FOUND", f"robot {robot_id} not found")
            if self.command == "GET":
                return self.reply(200, public_robot(robot))
            if self.command == "DELETE":
                state["robots"].remove(robot)
                save()
                say(f"robot deleted {robot['name']}")
                return self.reply(200)
            if self.command == "PUT":
                update = json.loads(self.body() or b"{}")
                for key in ("permissions", "description", "disable"):
                    if key in update:
                        robot[key] = update[key]
                if "duration" in update:
                    robot["duration"] = int(update["duration"])
                    robot["expires_at"] = -1 if robot["duration"] == -1 else int(time.time()) + robot["duration"] * 86400
                save()
                say(f"robot updated {robot['name']}")
                return self.reply(200)
            if self.command == "PATCH":
                secret = json.loads(self.body() or b"{}").get("secret") or secrets.token_urlsafe(24)
                robot["secret_hash"] = hashlib.sha256(secret.encode()).hexdigest()
                save()
                say(f"robot refreshed {robot['name']}")
                return self.reply(200, {"secret": secret})
        return self.error(405, "METHOD_NOT_ALLOWED", "method not allowed")

    # --- test controls -----------------------------------------------------------------------

    def controls(self, path):
        if path.startswith("/standin/scan/") and self.command == "PUT" and "@" in path:
            repository, _, digest = path[len("/standin/scan/"):].rpartition("@")
            overview = json.loads(self.body() or b"{}")
            overview.setdefault("scan_status", "Success")
            with lock:
                state["scans"][f"{repository}@{digest}"] = overview
                save()
            deliver("SCANNING_COMPLETED", repository, [{"digest": digest, "resource_url": f"{repository}@{digest}", "scan_overview": {SCAN_MIME: overview}}])
            return self.reply(200)
        if path == "/standin/robots" and self.command == "GET":
            with lock:
                return self.reply(200, state["robots"])
        return self.error(404, "NOT_FOUND", "no such control")

    # --- the Distribution API ----------------------------------------------------------------

    def distribution(self):
        header = self.headers.get("Authorization")
        path = self.path.split("?", 1)[0]
        parts = path.split("/")
        repository = "/".join(parts[2:-2]) if len(parts) > 4 else ""
        if "/blobs/uploads" in path:
            repository = path[len("/v2/"):path.index("/blobs/uploads")]
        writing = self.command not in ("GET", "HEAD")
        if not is_admin(header):
            robot = live_robot(header)
            if robot is None:
                return self.error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": 'Basic realm="harbor"'})
            if path in ("/v2", "/v2/"):
                pass
            elif path.startswith("/v2/_catalog") or not robot_may(robot, repository.split("/", 1)[0], "push" if writing else "pull"):
                return self.error(403, "DENIED", f"{robot['name']} may not {'push to' if writing else 'pull from'} {repository or path}")
        body = self.body() if writing else None
        # A client may send a header several times (skopeo: one Accept per media type): joined.
        headers = {}
        for name, value in self.headers.items():
            if name.lower() not in HOP:
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        status, reply_headers, data = registry(self.command, self.path, body, headers)
        if self.command == "PUT" and "/manifests/" in path and status == 201:
            reference = parts[-1]
            digest = reply_headers.get("docker-content-digest")
            at = time.time()
            with lock:
                state["pushed"][f"{repository}@{digest}"] = at
                if not reference.startswith("sha256:"):
                    state["pushed"][f"{repository}:{reference}"] = at
                save()
            tag = None if reference.startswith("sha256:") else reference
            deliver("PUSH_ARTIFACT", repository, [{"digest": digest, "tag": tag, "resource_url": f"{repository}:{tag or digest}"}])
        if self.command == "DELETE" and "/manifests/" in path and status == 202:
            deliver("DELETE_ARTIFACT", repository, [{"digest": parts[-1], "resource_url": f"{repository}@{parts[-1]}"}])
        self.send_response(status)
        for name, value in reply_headers.items():
            if name not in HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", reply_headers.get("content-length", str(len(data))) if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
say(f"port {server.server_address[1]}")
server.serve_forever()
