#!/usr/bin/env python3
"""A seeded fuzzer for the OCI Distribution API of `satellite serve`: malformed paths, names,
references, digests, ranges, pagination, uploads and manifests, each of which must be refused
with a 4xx (never a 5xx), with the spec's error JSON on every 4xx that has a body, and must store
nothing. Exits 1 naming the first request that broke a rule (and the seed to replay it).

    registry-fuzz.py PORT SEED COUNT [--site CREDENTIAL]

With --site, a third of the requests go to the satellite's peer endpoint (`/_site/v2/…`) with the
site credential, a wrong one, or none: refused without it, never a write, never a 5xx.
"""
import base64
import http.client
import json
import random
import sys

port, seed, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
site = sys.argv[sys.argv.index("--site") + 1] if "--site" in sys.argv else None
rng = random.Random(seed)

GOOD_NAMES = ["fuzz/app", "library/alpine", "a", "a/b/c", "x-y_z.w"]
BAD_NAMES = ["", "A", "UPPER/case", "-lead", "trail-", "a//b", "a/../b", "..", ".", "a b", "a%2Fb", "%00", "a\\b",
             "é", "a" * 300, "/".join(["p"] * 200), "a__b", "a..b", "_a", "a/", "a:b", "a@b", "~", "%2e%2e"]
GOOD_TAGS = ["v1", "latest", "1.0.0", "A_b-c.d"]
BAD_TAGS = ["", ".hidden", "-x", "x" * 129, "a b", "a/b", "é", "a:b", "%20", "@", "a+b"]
HEX = "0123456789abcdef"


def hexes(n):
    return "".join(rng.choice(HEX) for _ in range(n))


def digest_good():
    return "sha256:" + hexes(64)


BAD_DIGESTS = [lambda: "sha256:" + hexes(63), lambda: "sha256:" + hexes(65), lambda: "sha256:" + hexes(64).upper(),
               lambda: "md5:" + hexes(32), lambda: "sha256", lambda: ":" + hexes(64), lambda: "sha256:" + "g" * 64,
               lambda: "sha512:" + hexes(64), lambda: "sha256:" + hexes(32) + "/" + hexes(31), lambda: "SHA256:" + hexes(64),
               lambda: "sha256+b64:" + hexes(64), lambda: "sha256:"]


def name():
    return rng.choice(GOOD_NAMES) if rng.random() < 0.4 else rng.choice(BAD_NAMES)


def reference():
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(GOOD_TAGS)
    if roll < 0.5:
        return rng.choice(BAD_TAGS)
    if roll < 0.7:
        return digest_good()
    return rng.choice(BAD_DIGESTS)()


def digest():
    return digest_good() if rng.random() < 0.3 else rng.choice(BAD_DIGESTS)()


def manifest_body():
    """Manifests that must all be refused: broken JSON, wrong shapes, duplicate keys, BOMs,
    UTF-16, missing blobs, deep nesting."""
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest_good(), "size": rng.randint(0, 1 << 20)}
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_good(), "size": 2}
    base = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": [layer]}
    text = json.dumps(base)
    choice = rng.randrange(14)
    if choice == 0:
        return text[: rng.randrange(len(text))].encode()
    if choice == 1:
        return text.replace('"layers"', '"layers": [], "layers"', 1).encode()
    if choice == 2:
        return b"\xef\xbb\xbf" + text.encode()
    if choice == 3:
        return text.encode("utf-16")
    if choice == 4:
        return ("[" * 5000 + "]" * 5000).encode()
    if choice == 5:
        base["schemaVersion"] = rng.choice([1, 3, "2", None, 2.5, -1, 10 ** 30])
        return json.dumps(base).encode()
    if choice == 6:
        base["layers"] = rng.choice([None, {}, "x", [1], [{"digest": "nope"}]])
        return json.dumps(base).encode()
    if choice == 7:
        base["config"]["size"] = rng.choice([-1, "2", 1.5, 10 ** 40])
        return json.dumps(base).encode()
    if choice == 8:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    if choice == 9:
        base["mediaType"] = rng.choice(["", "text/html", "application/vnd.docker.distribution.manifest.v1+json", "x" * 300])
        return json.dumps(base).encode()
    if choice == 10:
        return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest_good(), "size": 10}]}).encode()
    if choice == 11:
        return text.encode() + b"\x00"
    if choice == 12:
        return text.replace('"digest"', '"digest": "sha256:' + "0" * 64 + '", "digest"', 1).encode()
    return text.encode()  # well-formed but naming blobs nobody pushed


def request():
    """One request: (method, path, headers, body)."""
    kind = rng.randrange(12)
    n = name()
    if kind == 0:
        return rng.choice(["GET", "HEAD", "DELETE"]), f"/v2/{n}/manifests/{reference()}", {"Accept": "application/vnd.oci.image.manifest.v1+json"}, None
    if kind == 1:
        return rng.choice(["GET", "HEAD", "DELETE"]), f"/v2/{n}/blobs/{digest()}", {}, None
    if kind == 2:
        ranges = ["bytes=abc", "bytes=5-1", "bytes=-0", "bytes=0-", "bytes=99999999999999999999-", "bytes=1-2,3-4", "items=0-1", "bytes= 1-2", ""]
        return "GET", f"/v2/{n}/blobs/{digest()}", {"Range": rng.choice(ranges)}, None
    if kind == 3:
        query = rng.choice(["n=-1", "n=abc", "n=99999999999999999999", "last=%00", "n=0", "last=" + "z" * 300, "n=1&n=2", ""])
        return "GET", f"/v2/{n}/tags/list?{query}", {}, None
    if kind == 4:
        query = rng.choice(["n=-1", "n=x", "last=..", ""])
        return "GET", f"/v2/_catalog?{query}", {}, None
    if kind == 5:
        return "GET", f"/v2/{n}/referrers/{digest()}?artifactType={rng.choice(['', '%00', 'a/b', 'x' * 300])}", {}, None
    if kind == 6:
        # A monolithic upload whose digest never matches its bytes (or is malformed).
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 2048)))
        return "POST", f"/v2/{n}/blobs/uploads/?digest={digest()}", {"Content-Type": "application/octet-stream"}, body
    if kind == 7:
        upload = rng.choice(["00000000-0000-0000-0000-000000000000", "../etc/passwd", "x", "%2e%2e%2fx", hexes(32), ""])
        method = rng.choice(["GET", "PATCH", "PUT", "DELETE"])
        headers = {"Content-Range": rng.choice(["0-10", "5-1", "abc", "-1-2", "0-99999999999999999999", "bytes 0-1/2"]), "Content-Type": "application/octet-stream"}
        return method, f"/v2/{n}/blobs/uploads/{upload}?digest={digest()}", headers, b"x" * rng.randrange(0, 64)
    if kind == 8:
        content_type = rng.choice(["application/vnd.oci.image.manifest.v1+json", "application/json", "text/plain", "", "application/vnd.oci.image.index.v1+json"])
        return "PUT", f"/v2/{n}/manifests/{reference()}", {"Content-Type": content_type}, manifest_body()
    if kind == 9:
        mount = rng.choice([f"mount={digest()}", f"mount={digest()}&from={name()}", "mount=", "from=x"])
        return "POST", f"/v2/{n}/blobs/uploads/?{mount}", {}, None
    if kind == 10:
        junk = "".join(rng.choice("/.%?#&=:@!$'()*+,;~ -_aZ09é") for _ in range(rng.randrange(1, 80)))
        return rng.choice(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"]), "/v2/" + junk, {}, None
    return rng.choice(["GET", "PUT", "TRACE", "PROPFIND"]), rng.choice(["/", "/v2", "/v1/", "/v2/../../etc/passwd", "//v2//", "/healthz/x"]), {}, None


def quote_path(path):
    """Non-ASCII in a path goes percent-encoded, as a client would send it."""
    return "".join(c if ord(c) < 128 and c not in " #" else "".join(f"%{b:02X}" for b in c.encode()) for c in path)


def check(status, headers, body, method, path):
    if status >= 500:
        return f"{status} is a server error"
    if site_path(path) and method not in ("GET", "HEAD") and 200 <= status < 300:
        return f"{status}: a peer request wrote"
    if 400 <= status < 500 and method != "HEAD" and body and (path.startswith("/v2") or site_path(path)):
        if "application/json" not in (headers.get("content-type") or ""):
            return f"{status} without a JSON error body (content-type {headers.get('content-type')})"
        try:
            errors = json.loads(body)["errors"]
            assert isinstance(errors, list) and errors and all(isinstance(e.get("code"), str) and isinstance(e.get("message"), str) for e in errors)
        except Exception:
            return f"{status} with a body that is not the spec's error JSON: {body[:200]!r}"
    if status in (200, 201) and method in ("PUT", "POST") and "/manifests/" in path:
        return f"{status}: a malformed manifest was stored"
    if status == 201 and "/blobs/uploads/" in path:
        return f"{status}: a blob whose bytes do not match its digest was stored"
    return None


def site_path(path):
    return path.startswith("/_site/")


def as_peer(path, headers):
    """Some requests go to the peer endpoint, with the site's credential, a wrong one, or none."""
    if site is None or not path.startswith("/v2") or rng.randrange(3):
        return path, headers
    headers = dict(headers)
    secret = rng.choice([site, site, "wrong-" + site, "", site + "\x00"])
    scheme = rng.choice(["Basic", "Basic", "Bearer", "basic", "Digest"])
    user = rng.choice(["site", "", "x:y"])
    token = secret if scheme.lower() == "bearer" else base64.b64encode(f"{user}:{secret}".encode()).decode()
    if rng.randrange(5):
        headers["Authorization"] = f"{scheme} {token}"
    return "/_site" + path, headers


def with_namespace(method, path):
    """Reads sometimes name the upstream they mean, as containerd's mirror requests do."""
    if method not in ("GET", "HEAD") or not path.startswith("/v2/") or rng.randrange(4):
        return path
    ns = rng.choice(["", "127.0.0.1:1", "docker.io", "DOCKER.IO", "%00", "[::1]:5000", "a" * 300, "x y", "ns=", "&", "127.0.0.1:1/../x"])
    return path + ("&" if "?" in path else "?") + "ns=" + ns


connection = None
statuses = {}
for index in range(count):
    method, path, headers, body = request()
    path, headers = as_peer(with_namespace(method, path), headers)
    path = quote_path(path)
    for attempt in range(2):
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            break
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            connection.close()
            connection = None
            if attempt == 1:
                print(f"FAIL: request {index} (seed {seed}) {method} {path[:200]}: the connection failed twice: {error}", flush=True)
                sys.exit(1)
    response_headers = {k.lower(): v for k, v in response.getheaders()}
    if response_headers.get("connection", "").lower() == "close":
        connection.close()
        connection = None
    statuses[response.status] = statuses.get(response.status, 0) + 1
    problem = check(response.status, response_headers, data, method, path)
    if problem:
        print(f"FAIL: request {index} (seed {seed}) {method} {path[:200]} {headers}: {problem}", flush=True)
        sys.exit(1)

print(f"{count} requests, statuses {dict(sorted(statuses.items()))}", flush=True)
print("OK", flush=True)
