#!/usr/bin/env python3
"""Pushes a few small generated images into a registry through the distribution API, so the demo
needs neither the internet nor a container engine:

    demo/hello:1      one platform (linux/amd64)
    demo/web:1.0      an index of linux/amd64 and linux/arm64
    demo/tools:1      one platform, for adding to the group while the demo runs
    demo/nightly:2026 one platform, for the sync-window step
    demo/debug:1      one platform, for the demand step

    seed-images.py REGISTRY_URL      (e.g. http://127.0.0.1:5000)
"""
import hashlib
import io
import json
import sys
import tarfile
import urllib.request

registry = sys.argv[1].rstrip("/")
LAYER = "application/vnd.oci.image.layer.v1.tar"


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as reply:
        return reply.status, reply.headers


def push_blob(repository, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers = request("POST", f"{registry}/v2/{repository}/blobs/uploads/")
    location = headers["Location"]
    if location.startswith("/"):
        location = registry + location
    separator = "&" if "?" in location else "?"
    request("PUT", f"{location}{separator}digest={digest}", data, {"Content-Type": "application/octet-stream"})
    return digest


def push_manifest(repository, reference, document, media_type):
    data = json.dumps(document, separators=(",", ":")).encode()
    request("PUT", f"{registry}/v2/{repository}/manifests/{reference}", data, {"Content-Type": media_type})
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}


def layer_tar(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, text in files.items():
            payload = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(payload))
    return out.getvalue()


def image(repository, architecture, files, tag=None):
    layer = layer_tar(files)
    layer_digest = push_blob(repository, layer)
    config = json.dumps({
        "architecture": architecture, "os": "linux",
        "config": {"Cmd": ["/bin/cat", sorted(files)[0]]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }, separators=(",", ":")).encode()
    config_digest = push_blob(repository, config)
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    descriptor = push_manifest(repository, tag or "sha256:" + hashlib.sha256(
        json.dumps(manifest, separators=(",", ":")).encode()).hexdigest(), manifest, manifest["mediaType"])
    descriptor["platform"] = {"architecture": architecture, "os": "linux"}
    return descriptor


image("demo/hello", "amd64", {"hello.txt": "Hello from a satellite.\n"}, tag="1")
children = [image("demo/web", arch, {"index.html": f"<h1>web 1.0 for {arch}</h1>\n"}) for arch in ("amd64", "arm64")]
push_manifest("demo/web", "1.0", {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": children,
}, "application/vnd.oci.image.index.v1+json")
image("demo/tools", "amd64", {"tools.txt": "A tool the group did not name at first.\n"}, tag="1")
image("demo/nightly", "amd64", {"nightly.txt": "Fetched only in a sync window.\n"}, tag="2026")
image("demo/debug", "amd64", {"debug.txt": "Asked for by devices before any group named it.\n"}, tag="1")
print("seeded demo/hello:1, demo/web:1.0 (linux/amd64 + linux/arm64), demo/tools:1, demo/nightly:2026, demo/debug:1")
