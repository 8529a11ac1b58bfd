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

Harbor API (`/api/v2.0/…`): Basic auth of the admin, or of a live system robot whose
permissions allow the call (as `RequireSystemAccess` / `RequireProjectAccess` decide in Harbor).
Each behaviour follows the handler named beside it, in goharbor/harbor `src/server/v2.0/handler/`
unless said otherwise, including what Harbor ignores or refuses:
  GET    /ping                   ping.go GetPing: Pong
  GET    /projects               project.go ListProjects: paged (page, page_size), X-Total-Count
  POST   /projects               project.go CreateProject: ProjectReq.project_name; 409 if taken
  GET    /projects/{p}           project.go GetProject: 404 NOT_FOUND for a project Harbor lacks
  HEAD   /projects?project_name= project.go HeadProject: 200 or 404
  GET    /projects/{p}/repositories                         repository.go ListRepositories: paged
  GET    /projects/{p}/repositories/{r}/artifacts           artifact.go ListArtifacts: paged, with_tag,
                                 with_scan_overview; r with '/' encoded twice (a%252Fb). The
                                 repository is only a filter of the query: one Harbor does not have
                                 is an empty list (200), not a 404; a project it lacks is 404
                                 (RequireProjectAccess)
  GET    /projects/{p}/repositories/{r}/artifacts/{ref}     artifact.go GetArtifact: by tag or digest;
                                 404 when there is none
  POST   /robots                 robot.go CreateRobot (below)
  GET    /robots, /robots/{id}   robot.go ListRobot, GetRobotByID: Robot, never its secret
  PUT    /robots/{id}            robot.go UpdateRobot / updateV2Robot (below)
  PATCH  /robots/{id}            robot.go RefreshSec (below)
  DELETE /robots/{id}            robot.go DeleteRobot
  POST   /projects/{p}/webhook/policies   webhook.go CreateWebhookPolicyOfProject: WebhookPolicy
                                 (targets[].address, auth_header, payload_format Default or
                                 CloudEvents, event_types); deliveries as pkg/notifier/formats
                                 writes them (default.go, cloudevents.go)

Robots, as Harbor has them:
  - The name is kept as given (`<project>+<name>` at project level, controller/robot/controller.go
    Create) and shown with the `robot_name_prefix` setting before it (controller.go populate;
    `robot$` unless HARBOR_ROBOT_PREFIX says otherwise). A robot logs in by the shown name.
  - CreateRobot: the name must match ^[a-z0-9]+(?:[._-][a-z0-9]+)*$ (validateName, 400); duration
    -1 or 1..2^31-2, level system or project, permissions and each one's access non-empty, one
    permission at project level (validate, 400). A `secret` in the body is ignored: Harbor makes
    a random one (controller.go Create, CreateSec) and answers it once. A permission on a project
    Harbor lacks is 404 (controller.go toScope), and the request's transaction is rolled back
    (server/middleware/transaction), so no robot is left. A taken name is 409. A robot creating
    a robot may grant only what it holds itself (isValidPermissionScope, 403 DENIED).
  - UpdateRobot: the body's name must be the robot's shown name and its level unchanged, or 400
    "cannot update the level or name of robot"; `disable` and `description` are taken as sent
    (absent is false and empty); a new duration sets expires_at from the creation time, not from
    now; permissions are replaced (a missing project is 404, nothing changed).
  - RefreshSec: a given secret must be 8-128 characters with an upper-case letter, a lower-case
    letter and a digit (robot.IsValidSec, 400); it is set and answered as ""; without one, a
    random secret is made and answered.

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
# Harbor's robot_name_prefix setting (lib/config/userconfig.go RobotPrefix).
ROBOT_PREFIX = os.environ.get("HARBOR_ROBOT_PREFIX", "robot$")
ROBOT_NAME = __import__("re").compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
# What a robot may be granted on a project (rbac project policies; the part Ground Control and
# these tests use).
PROJECT_ACCESS = {("repository", "pull"), ("repository", "push"), ("artifact", "read"), ("artifact", "list"), ("repository", "list"),
                  ("tag", "list"), ("scan", "read")}
SYSTEM_ACCESS = {("robot", "create"), ("robot", "read"), ("robot", "list"), ("robot", "update"), ("robot", "delete"), ("project", "list"),
                 ("project", "create")}
# The Host header goes on: the registry builds upload locations from it, which must lead back here.
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length", "authorization"}
SCAN_MIME = "application/vnd.security.vulnerability.report; version=1.1"
lock = threading.Lock()


def load():
    try:
        with open(state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"robots": [], "next_robot": 1, "scans": {}, "pushed": {}, "policies": [], "projects": []}


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
            if shown_name(robot) != pair[0] or robot.get("disable"):
                continue
            if not secrets.compare_digest(robot["secret_hash"], hashlib.sha256(pair[1].encode()).hexdigest()):
                return None
            if robot["expires_at"] != -1 and robot["expires_at"] < time.time():
                return None
            return robot
    return None


def shown_name(robot):
    return ROBOT_PREFIX + robot["stored_name"]


def system_may(robot, resource, action):
    """A robot's system-level permission, as RequireSystemAccess checks it."""
    for permission in robot.get("permissions") or []:
        if permission.get("kind") == "system" and permission.get("namespace") == "/":
            if any(a.get("resource") == resource and a.get("action") == action for a in permission.get("access") or []):
                return True
    return False


def project_api_may(robot, project, resource, action):
    """A robot's project-level permission for an API call, as RequireProjectAccess checks it."""
    for permission in robot.get("permissions") or []:
        if permission.get("kind") == "project" and permission.get("namespace") in (project, "*"):
            if any(a.get("resource") == resource and a.get("action") == action for a in permission.get("access") or []):
                return True
    return False


def within(creating, creator):
    """robot.go isValidPermissionScope: every permission asked for is held by the creator, on the
    same namespace or on all projects ("*"), access by access (resource, action, effect)."""
    held = {f"{p.get('kind')}:{p.get('namespace')}": p for p in creator}
    for permission in creating:
        found = held.get(f"{permission.get('kind')}:{permission.get('namespace')}") or held.get(f"{permission.get('kind')}:*")
        if not found:
            return False
        have = {(a.get("resource"), a.get("action"), a.get("effect", "")) for a in found.get("access") or []}
        if any((a.get("resource"), a.get("action"), a.get("effect", "")) not in have for a in permission.get("access") or []):
            return False
    return True


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
            body = cloud_event(payload) if target.get("payload_format") == "CloudEvents" else payload
            threading.Thread(target=post_event, args=(target, body), daemon=True).start()


# pkg/notifier/formats/cloudevents.go eventTypeMapping
CLOUD_EVENT_TYPES = {"PUSH_ARTIFACT": "harbor.artifact.pushed", "DELETE_ARTIFACT": "harbor.artifact.deleted",
                     "SCANNING_COMPLETED": "harbor.scan.completed"}


def cloud_event(payload):
    """A payload in Harbor's CloudEvents format (cloudevents.go Format): the default format's
    event_data as `data`, its type renamed."""
    return {
        "specversion": "1.0", "id": secrets.token_hex(16), "requestid": secrets.token_hex(16), "source": "/projects/1/webhook/policies/1",
        "type": CLOUD_EVENT_TYPES[payload["type"]], "datacontenttype": "application/json", "time": now_iso(payload["occur_at"]),
        "data": payload["event_data"], "operator": payload["operator"],
    }


def post_event(target, payload):
    content_type = "application/cloudevents+json" if "specversion" in payload else "application/json"
    request = urllib.request.Request(target["address"], data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": content_type})
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
    """Projects Harbor has: made by POST /projects, or (a shortcut for tests) by a push or a
    webhook policy naming them."""
    with lock:
        declared = {p["project"] for p in state["policies"]} | set(state.get("projects", []))
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
    """The swagger Robot: its shown name, never its secret (handler/model/robot.go ToSwagger)."""
    shown = {k: v for k, v in robot.items() if k not in ("secret_hash", "stored_name")}
    shown["name"] = shown_name(robot)
    shown["editable"] = True
    return shown


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
        header = self.headers.get("Authorization")
        # The admin, or a system robot (security/robot): nil for the admin.
        self.caller = None if is_admin(header) else live_robot(header)
        if not is_admin(header) and self.caller is None:
            return self.error(401, "UNAUTHORIZED", "unauthorized", {"WWW-Authenticate": 'Basic realm="harbor"'})
        # Harbor's router decodes the path once: a repository name holding '/' must arrive encoded
        # twice (a%252Fb) to stay one segment.
        parts = urllib.parse.unquote(raw)[len("/api/v2.0/"):].split("/")
        return self.api(parts, query)

    def forbidden(self):
        return self.error(403, "FORBIDDEN", f"{shown_name(self.caller)} has no permission for this")

    def api(self, parts, query):
        if parts == ["ping"]:
            return self.reply(200, b"Pong")
        if parts == ["projects"] and self.command == "GET":
            items, total = paged([{"project_id": i + 1, "name": n} for i, n in enumerate(projects())], query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if parts == ["projects"] and self.command == "HEAD":
            # project.go HeadProject
            name = query.get("project_name", [""])[0]
            return self.reply(200 if name in projects() else 404)
        if parts == ["projects"] and self.command == "POST":
            # project.go CreateProject (the project's name; metadata and quotas are not kept here)
            if self.caller is not None and not system_may(self.caller, "project", "create"):
                return self.forbidden()
            name = json.loads(self.body() or b"{}").get("project_name", "")
            if name in projects():
                return self.error(409, "CONFLICT", f"The project named {name} already exists")
            with lock:
                state.setdefault("projects", []).append(name)
                save()
            return self.reply(201, b"", {"Location": f"/api/v2.0/projects/{name}"})
        if len(parts) == 2 and parts[0] == "projects" and self.command == "GET":
            # project.go GetProject
            if parts[1] not in projects():
                return self.error(404, "NOT_FOUND", f"project {parts[1]} not found")
            return self.reply(200, {"project_id": projects().index(parts[1]) + 1, "name": parts[1]})
        if len(parts) >= 3 and parts[0] == "projects" and parts[2] == "repositories" and self.caller is not None:
            if not (project_api_may(self.caller, parts[1], "repository", "list") or project_api_may(self.caller, parts[1], "artifact", "list")):
                return self.forbidden()
        if len(parts) >= 3 and parts[0] == "projects" and parts[1] not in projects():
            return self.error(404, "NOT_FOUND", f"project {parts[1]} not found")
        if len(parts) == 3 and parts[0] == "projects" and parts[2] == "repositories" and self.command == "GET":
            names = [r for r in catalog() if r.split("/", 1)[0] == parts[1]]
            items, total = paged([{"name": r, "project_id": 1} for r in names], query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(parts) == 5 and parts[0] == "projects" and parts[2] == "repositories" and parts[4] == "artifacts" and self.command == "GET":
            repository = parts[1] + "/" + urllib.parse.unquote(parts[3])
            flag = lambda name: query.get(name, ["false"])[0] == "true"
            # The repository filters the query (RepositoryName keyword): none held is an empty page.
            listed = artifacts(repository, flag("with_tag"), flag("with_scan_overview")) if repository in catalog() else []
            items, total = paged(listed, query)
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
        caller = self.caller
        if not rest and self.command == "POST":
            return self.create_robot(json.loads(self.body() or b"{}"))
        if not rest and self.command == "GET":
            # robot.go ListRobot: system robots unless q asks for a project's; q=name=X matches the
            # name as kept, without the prefix (lib/q: exact match).
            if caller is not None and not system_may(caller, "robot", "list"):
                return self.forbidden()
            with lock:
                robots = [r for r in state["robots"] if r["level"] == "system"]
            q = query.get("q", [""])[0]
            if q.startswith("name="):
                robots = [r for r in robots if r["stored_name"] == q[5:]]
            items, total = paged([public_robot(r) for r in robots], query)
            return self.reply(200, items, {"X-Total-Count": str(total)})
        if len(rest) != 1 or not rest[0].isdigit():
            return self.error(404, "NOT_FOUND", "no such robot endpoint")
        robot_id = int(rest[0])
        action = {"GET": "read", "DELETE": "delete", "PUT": "update", "PATCH": "update"}.get(self.command)
        if action is None:
            return self.error(405, "METHOD_NOT_ALLOWED", "method not allowed")
        if caller is not None and not system_may(caller, "robot", action):
            return self.forbidden()
        with lock:
            robot = next((r for r in state["robots"] if r["id"] == robot_id), None)
        if robot is None:
            return self.error(404, "NOT_FOUND", f"robot {robot_id} not found")
        if self.command == "GET":
            return self.reply(200, public_robot(robot))
        if self.command == "DELETE":
            with lock:
                state["robots"].remove(robot)
                save()
            say(f"robot deleted {shown_name(robot)}")
            return self.reply(200)
        if self.command == "PUT":
            return self.update_robot(robot, json.loads(self.body() or b"{}"))
        return self.refresh_secret(robot, json.loads(self.body() or b"{}"))

    def invalid_robot(self, duration, level, permissions):
        """robot.go validate: the error message, or None."""
        if not (duration == -1 or 0 < duration < 2**31 - 1):
            return f"bad request error duration input: {duration}, duration must be either -1(Never) or a positive integer"
        if level not in ("system", "project"):
            return f"bad request error level input: {level}"
        if not permissions or any(not p or not p.get("access") for p in permissions):
            return "bad request empty permission"
        if level == "project" and len(permissions) > 1:
            return "bad request permission"
        for permission in permissions:
            allowed = {"system": SYSTEM_ACCESS, "project": PROJECT_ACCESS}.get(permission.get("kind"))
            if allowed is None:
                return f"bad request permission level: {permission.get('kind')}"
            for access in permission["access"]:
                if (access.get("resource"), access.get("action")) not in allowed:
                    return f"bad request permission: {access.get('resource')}:{access.get('action')}"
        return None

    def missing_project(self, permissions):
        """controller.go toScope: the first project a permission names that Harbor lacks."""
        known = projects()
        for permission in permissions:
            if permission.get("kind") == "project" and permission.get("namespace") not in ("*",) + tuple(known):
                return permission.get("namespace")
        return None

    def create_robot(self, request):
        # robot.go CreateRobot
        name = request.get("name") or ""
        if not ROBOT_NAME.match(name):
            return self.error(400, "BAD_REQUEST", "robot name is not in lower case or contains illegal characters")
        level, permissions = request.get("level", ""), request.get("permissions") or []
        try:
            duration = int(request.get("duration", 0))
        except (TypeError, ValueError):
            return self.error(400, "BAD_REQUEST", "duration must be a number")
        problem = self.invalid_robot(duration, level, permissions)
        if problem:
            return self.error(400, "BAD_REQUEST", problem)
        if self.caller is not None:
            if not system_may(self.caller, "robot", "create"):
                return self.forbidden()
            if not within(permissions, self.caller.get("permissions") or []):
                return self.error(403, "DENIED", "permission scope is invalid. It must be equal to or more restrictive than the creator "
                                  f"robot's permissions: {shown_name(self.caller)}")
        missing = self.missing_project(permissions)
        if missing:
            # The transaction middleware rolls the whole request back: no robot stays.
            return self.error(404, "NOT_FOUND", f"project {missing} not found")
        stored = f"{permissions[0].get('namespace')}+{name}" if level == "project" else name
        # controller.go Create: a random secret; the request's `secret` is never read.
        secret = secrets.token_urlsafe(24) + "Aa1"
        now = time.time()
        with lock:
            if any(r["stored_name"] == stored for r in state["robots"]):
                return self.error(409, "CONFLICT", f"robot {stored} already exists")
            robot = {
                "id": state["next_robot"], "stored_name": stored, "description": request.get("description", ""), "level": level,
                "duration": duration, "disable": False, "permissions": permissions,
                "expires_at": -1 if duration == -1 else int(now) + duration * 86400,
                "creation_time": now_iso(now), "created_at": now, "secret_hash": hashlib.sha256(secret.encode()).hexdigest(),
            }
            state["next_robot"] += 1
            state["robots"].append(robot)
            save()
        say(f"robot created {shown_name(robot)}")
        return self.reply(201, {"id": robot["id"], "name": shown_name(robot), "secret": secret, "creation_time": robot["creation_time"],
                                "expires_at": robot["expires_at"]}, {"Location": f"/api/v2.0/robots/{robot['id']}"})

    def update_robot(self, robot, update):
        # robot.go updateV2Robot
        duration = update.get("duration", robot["duration"])
        permissions = update.get("permissions") or []
        problem = self.invalid_robot(duration, update.get("level", ""), permissions)
        if problem:
            return self.error(400, "BAD_REQUEST", problem)
        if update.get("level") != robot["level"] or update.get("name") != shown_name(robot):
            return self.error(400, "BAD_REQUEST", "cannot update the level or name of robot")
        missing = self.missing_project(permissions)
        if missing:
            return self.error(404, "NOT_FOUND", f"project {missing} not found")
        with lock:
            if duration != robot["duration"]:
                robot["duration"] = duration
                # From the robot's creation, not from now.
                robot["expires_at"] = -1 if duration == -1 else int(robot["created_at"]) + duration * 86400
            robot["description"] = update.get("description", "")
            robot["disable"] = bool(update.get("disable", False))
            robot["permissions"] = permissions
            save()
        say(f"robot updated {shown_name(robot)}")
        return self.reply(200)

    def refresh_secret(self, robot, request):
        # robot.go RefreshSec
        given = request.get("secret") or ""
        if given:
            valid = 8 <= len(given) <= 128 and any(c.islower() for c in given) and any(c.isupper() for c in given) and any(c.isdigit() for c in given)
            if not valid:
                return self.error(400, "BAD_REQUEST", "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, "
                                  "1 lowercase letter and 1 number")
            secret, answer = given, ""
        else:
            secret = secrets.token_urlsafe(24) + "Aa1"
            answer = secret
        with lock:
            robot["secret_hash"] = hashlib.sha256(secret.encode()).hexdigest()
            save()
        say(f"robot refreshed {shown_name(robot)}")
        return self.reply(200, {"secret": answer})

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
                return self.reply(200, [dict(r, name=shown_name(r)) for r in state["robots"]])
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
                return self.error(403, "DENIED", f"{shown_name(robot)} may not {'push to' if writing else 'pull from'} {repository or path}")
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
