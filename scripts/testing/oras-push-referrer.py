#!/usr/bin/env python3
"""Push an artifact with a subject using the python `oras` client, then print the referrers index.

Used by the integration tests: oras-push-referrer.py HOST:PORT REPOSITORY SUBJECT_DIGEST SUBJECT_SIZE FILE
"""
import json
import sys
import urllib.request

import oras.client
import oras.oci

host, repository, subject_digest, subject_size, path = sys.argv[1:6]
client = oras.client.OrasClient(hostname=host, insecure=True)
subject = oras.oci.Subject(
    mediaType="application/vnd.oci.image.manifest.v1+json", digest=subject_digest, size=int(subject_size)
)
response = client.push(
    target=f"{host}/{repository}:sbom",
    files=[f"{path}:application/vnd.example.sbom"],
    subject=subject,
    manifest_annotations={"org.example.kind": "sbom"},
    disable_path_validation=True,
)
if response.status_code != 201:
    sys.exit(f"push failed: {response.status_code} {response.text}")
with urllib.request.urlopen(f"http://{host}/v2/{repository}/referrers/{subject_digest}") as reply:
    print(json.dumps({"subjectHeader": response.headers.get("OCI-Subject"), "referrers": json.load(reply)}))
