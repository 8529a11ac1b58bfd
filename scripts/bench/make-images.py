#!/usr/bin/env python3
"""Writes an OCI image layout of benchmark images: REPOS repositories of TAGS images each.
Images in the first half of the repositories share one base layer, the rest another; every
image adds a unique layer. Names in the layout are r<R>-t<T>.

    make-images.py LAYOUT REPOS TAGS BASE_MIB UNIQUE_MIB
"""
import hashlib
import io
import json
import os
import sys
import tarfile

layout, repos, tags, base_mib, unique_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)


def blob(data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{layout}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def layer(name, mib):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        payload = os.urandom(mib * 1024 * 1024)
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return blob(out.getvalue(), "application/vnd.oci.image.layer.v1.tar")


bases = [layer("base-a", base_mib), layer("base-b", base_mib)]
index = {"schemaVersion": 2, "manifests": []}
for r in range(repos):
    for t in range(tags):
        base = bases[0] if r < repos / 2 else bases[1]
        own = layer(f"app-{r}-{t}", unique_mib)
        config = blob(json.dumps({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [base["digest"], own["digest"]]},
        }).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = blob(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config, "layers": [base, own],
        }).encode(), "application/vnd.oci.image.manifest.v1+json")
        manifest["annotations"] = {"org.opencontainers.image.ref.name": f"r{r}-t{t}"}
        index["manifests"].append(manifest)
with open(f"{layout}/index.json", "w") as f:
    json.dump(index, f)
with open(f"{layout}/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
