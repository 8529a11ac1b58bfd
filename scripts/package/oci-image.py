#!/usr/bin/env python3
"""Writes a one-layer OCI image into an OCI layout directory, without a container engine.

    oci-image.py --layout DIR --tag TAG --architecture amd64 \\
        --file SRC:DEST[:MODE] ... --dir DEST:MODE:UID ... --text DEST:MODE:CONTENT ... \\
        --entrypoint PATH --cmd ARG ... --env NAME=VALUE ... --user UID:GID \\
        --volume PATH ... --port 5050/tcp ... --label NAME=VALUE ...

The layer is reproducible: entries sorted, times set to SOURCE_DATE_EPOCH (default 0), owners
numeric. An existing layout gains the tag (a tag already there is replaced).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--layout", required=True)
parser.add_argument("--tag", required=True)
parser.add_argument("--architecture", required=True)
parser.add_argument("--file", action="append", default=[], help="SRC:DEST[:MODE]")
parser.add_argument("--dir", action="append", default=[], help="DEST:MODE:UID")
parser.add_argument("--text", action="append", default=[], help="DEST:MODE:CONTENT")
parser.add_argument("--entrypoint", action="append", default=[])
parser.add_argument("--cmd", action="append", default=[])
parser.add_argument("--env", action="append", default=[])
parser.add_argument("--user", default="")
parser.add_argument("--volume", action="append", default=[])
parser.add_argument("--port", action="append", default=[])
parser.add_argument("--label", action="append", default=[])
args = parser.parse_args()
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def parent_dirs(path):
    parts = path.strip("/").split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


# name -> (TarInfo, bytes or None)
entries = {}


def add_dir(name, mode=0o755, uid=0):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = tarfile.DIRTYPE, mode, uid, uid, epoch
    entries[name] = (info, None)


def add_file(name, data, mode):
    for parent in parent_dirs("/" + name):
        if parent not in entries:
            add_dir(parent)
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, epoch
    entries[name] = (info, data)


for spec in args.file:
    source, dest, *rest = spec.split(":")
    with open(source, "rb") as handle:
        add_file(dest.strip("/"), handle.read(), int(rest[0], 8) if rest else os.stat(source).st_mode & 0o777)
for spec in args.text:
    dest, mode, content = spec.split(":", 2)
    add_file(dest.strip("/"), content.encode(), int(mode, 8))
for spec in args.dir:
    dest, mode, uid = spec.split(":")
    for parent in parent_dirs("/" + dest.strip("/") + "/x"):
        if parent not in entries:
            add_dir(parent)
    add_dir(dest.strip("/"), int(mode, 8), int(uid))

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for name in sorted(entries):
        info, data = entries[name]
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
layer_tar = raw.getvalue()
compressed = io.BytesIO()
with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0) as gz:
    gz.write(layer_tar)
layer = compressed.getvalue()

os.makedirs(os.path.join(args.layout, "blobs", "sha256"), exist_ok=True)


def write_blob(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(args.layout, "blobs", "sha256", digest), "wb") as handle:
        handle.write(data)
    return "sha256:" + digest


def canonical(document):
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
labels = dict(label.split("=", 1) for label in args.label)
config = {
    "created": created,
    "architecture": args.architecture,
    "os": "linux",
    "config": {
        "User": args.user,
        "Entrypoint": args.entrypoint,
        "Cmd": args.cmd,
        "Env": args.env,
        "ExposedPorts": {port: {} for port in args.port},
        "Volumes": {volume: {} for volume in args.volume},
        "Labels": labels,
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
    "history": [{"created": created, "created_by": "scripts/package/oci-image.py"}],
}
config_bytes = canonical(config)
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": write_blob(config_bytes), "size": len(config_bytes)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": write_blob(layer), "size": len(layer)}],
}
annotations = {k: v for k, v in labels.items() if k.startswith("org.opencontainers.")}
if annotations:
    manifest["annotations"] = annotations
manifest_bytes = canonical(manifest)

index_path = os.path.join(args.layout, "index.json")
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
if os.path.exists(index_path):
    with open(index_path) as handle:
        index = json.load(handle)
index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != args.tag]
index["manifests"].append({
    "mediaType": manifest["mediaType"], "digest": write_blob(manifest_bytes), "size": len(manifest_bytes),
    "platform": {"architecture": args.architecture, "os": "linux"},
    "annotations": {"org.opencontainers.image.ref.name": args.tag},
})
with open(os.path.join(args.layout, "oci-layout"), "w") as handle:
    json.dump({"imageLayoutVersion": "1.0.0"}, handle)
with open(index_path, "w") as handle:
    json.dump(index, handle, indent=2)
print(f"{args.layout}:{args.tag} {len(layer) // 1024} KiB layer")
