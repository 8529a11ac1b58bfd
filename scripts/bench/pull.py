#!/usr/bin/env python3
"""Pulls one image the way a container runtime does, discarding the bytes: the manifest (or
index, then the first linux/amd64 manifest), then its config and layers, three at a time.
Prints seconds, bytes and its own CPU seconds. Not a test; the proxy benchmark's client.

    pull.py [--proxy HOST:PORT --cafile PEM] HOST:PORT REPOSITORY REFERENCE

With --proxy, every connection is a CONNECT to HOST:PORT through the proxy, then TLS checked
against PEM, as a runtime with HTTPS_PROXY set pulls.
"""
import http.client
import json
import ssl
import sys
import threading
import time

arguments = sys.argv[1:]
proxy = cafile = None
while arguments and arguments[0].startswith("--"):
    option, value, arguments = arguments[0], arguments[1], arguments[2:]
    if option == "--proxy":
        proxy = value
    elif option == "--cafile":
        cafile = value
    else:
        raise SystemExit(f"unknown option {option}")
host, repository, reference = arguments


def connect():
    if proxy is None:
        return http.client.HTTPConnection(host, timeout=600)
    proxy_host, proxy_port = proxy.rsplit(":", 1)
    target_host, target_port = host.rsplit(":", 1)
    connection = http.client.HTTPSConnection(
        proxy_host, int(proxy_port), timeout=600, context=ssl.create_default_context(cafile=cafile))
    connection.set_tunnel(target_host, int(target_port))
    return connection

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def get(path, sink=None):
    connection = connect()
    connection.request("GET", path, headers={"Accept": ACCEPT})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {response.read()[:200]!r}")
    total = 0
    body = b""
    while True:
        chunk = response.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if sink is None:
            body += chunk
    length = response.getheader("Content-Length")
    if length is not None and int(length) != total:
        raise SystemExit(f"GET {path}: {total} of {length} bytes")
    connection.close()
    return body, total


start = time.time()
manifest, received = get(f"/v2/{repository}/manifests/{reference}")
parsed = json.loads(manifest)
if "manifests" in parsed:
    child = next(m for m in parsed["manifests"] if m.get("platform", {}).get("architecture", "amd64") == "amd64")
    manifest, more = get(f"/v2/{repository}/manifests/{child['digest']}")
    received += more
    parsed = json.loads(manifest)
queue = [parsed["config"]["digest"]] + [layer["digest"] for layer in parsed["layers"]]
lock = threading.Lock()


def worker():
    global received
    while True:
        with lock:
            if not queue:
                return
            digest = queue.pop(0)
        _, size = get(f"/v2/{repository}/blobs/{digest}", sink=True)
        with lock:
            received += size


threads = [threading.Thread(target=worker) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"{time.time() - start:.3f} {received} {time.process_time():.3f}")
