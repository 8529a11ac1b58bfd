#!/usr/bin/env python3
"""Makes keys and signatures in cosign's documented formats, for tests: cosign itself cannot be
installed here. Written from cosign's signature spec and sigstore's bundle spec, with python's
`cryptography`.

    cosign-sign.py keygen ecdsa|ed25519|rsa PREFIX      PREFIX.key (PKCS#8 PEM) and PREFIX.pub (PEM)
    cosign-sign.py simple KEY DIGEST [REFERENCE]        {"payload": b64, "signature": b64}: a
                                                        simple-signing layer and its annotation
    cosign-sign.py bundle KEY DIGEST                    a v0.3 bundle: DSSE envelope, in-toto
                                                        statement whose subject is DIGEST
    cosign-sign.py message-bundle KEY MANIFEST_FILE     a v0.3 bundle: message signature over the
                                                        manifest's bytes
    cosign-sign.py push-simple URL REPO DIGEST KEY [CREDS] [NAMED_DIGEST]
                                                        pushes a `sha256-<hex>.sig` manifest signing
                                                        DIGEST (its payload naming NAMED_DIGEST if given)
    cosign-sign.py push-bundle URL REPO DIGEST SIZE KEY [CREDS]
                                                        pushes a bundle referrer of DIGEST, and the
                                                        referrers tag (`sha256-<hex>`) for registries
                                                        without the referrers API
CREDS is user:password for Basic auth.

ECDSA signs SHA-256 (DER), Ed25519 the message itself, RSA SHA-256 with PKCS #1 v1.5.
"""
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def b64(data):
    return base64.b64encode(data).decode()


def keygen(kind, prefix):
    if kind == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        sys.exit(f"unknown key kind {kind}")
    with open(prefix + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(prefix + ".pub", "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def sign(key, message):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def simple_payload(digest, reference="registry.example/app"):
    return json.dumps({
        "critical": {"identity": {"docker-reference": reference}, "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": None,
    }, separators=(",", ":")).encode()


def simple(key_path, digest):
    payload = simple_payload(digest)
    print(json.dumps({"payload": b64(payload), "signature": b64(sign(load(key_path), payload))}))


def bundle_document(key_path, digest):
    algorithm, _, hex_digest = digest.partition(":")
    statement = json.dumps({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/app", "digest": {algorithm: hex_digest}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    }, separators=(",", ":")).encode()
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(statement), statement)
    return {
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64(statement), "payloadType": payload_type,
                         "signatures": [{"sig": b64(sign(load(key_path), pae)), "keyid": ""}]},
    }


def bundle(key_path, digest):
    print(json.dumps(bundle_document(key_path, digest)))


def message_bundle(key_path, manifest_path):
    with open(manifest_path, "rb") as f:
        manifest = f.read()
    print(json.dumps({
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(manifest).digest())},
                             "signature": b64(sign(load(key_path), manifest))},
    }))


# --- pushing, over the Distribution API ----------------------------------------------------------

def request(method, url, creds, body=None, headers=None):
    headers = dict(headers or {})
    if creds:
        headers["Authorization"] = "Basic " + b64(creds.encode())
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def push_blob(base, repo, data, creds):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, body = request("POST", f"{base}/v2/{repo}/blobs/uploads/", creds)
    if status != 202:
        sys.exit(f"blob upload refused: {status} {body[:200]}")
    location = urllib.parse.urljoin(base + "/", headers["Location"])
    separator = "&" if "?" in location else "?"
    status, _, body = request("PUT", f"{location}{separator}digest={digest}", creds, data, {"Content-Type": "application/octet-stream"})
    if status != 201:
        sys.exit(f"blob upload failed: {status} {body[:200]}")
    return {"digest": digest, "size": len(data)}


def push_manifest(base, repo, reference, manifest, media_type, creds):
    body = json.dumps(manifest, separators=(",", ":")).encode()
    status, _, reply = request("PUT", f"{base}/v2/{repo}/manifests/{reference}", creds, body, {"Content-Type": media_type})
    if status != 201:
        sys.exit(f"manifest push failed: {status} {reply[:300]}")
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}


MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def push_simple(base, repo, digest, key_path, creds="", named=None):
    payload = simple_payload(named or digest)
    layer = push_blob(base, repo, payload, creds)
    config = push_blob(base, repo, b'{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["' + layer["digest"].encode() + b'"]}}', creds)
    manifest = {
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", **layer,
                    "annotations": {"dev.cosignproject.cosign/signature": b64(sign(load(key_path), payload))}}],
    }
    print(json.dumps(push_manifest(base, repo, digest.replace(":", "-") + ".sig", manifest, MANIFEST, creds)))


def push_bundle(base, repo, digest, size, key_path, creds=""):
    layer = push_blob(base, repo, json.dumps(bundle_document(key_path, digest)).encode(), creds)
    empty = push_blob(base, repo, b"{}", creds)
    manifest = {
        "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": BUNDLE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", **empty},
        "layers": [{"mediaType": BUNDLE, **layer}],
        "subject": {"mediaType": MANIFEST, "digest": digest, "size": int(size)},
    }
    pushed = push_manifest(base, repo, "sha256:" + hashlib.sha256(json.dumps(manifest, separators=(",", ":")).encode()).hexdigest(), manifest, MANIFEST, creds)
    # The referrers tag schema, for a registry without the referrers API: an index tagged
    # with the subject's digest, listing its referrers.
    status, _, _ = request("GET", f"{base}/v2/{repo}/referrers/{digest}", creds)
    if status == 404:
        tag = digest.replace(":", "-")
        status, _, body = request("GET", f"{base}/v2/{repo}/manifests/{tag}", creds, headers={"Accept": INDEX})
        index = json.loads(body) if status == 200 else {"schemaVersion": 2, "mediaType": INDEX, "manifests": []}
        index["manifests"].append({**pushed, "artifactType": BUNDLE})
        push_manifest(base, repo, tag, index, INDEX, creds)
    print(json.dumps(pushed))


command, arguments = sys.argv[1], sys.argv[2:]
{"keygen": keygen, "simple": simple, "bundle": bundle, "message-bundle": message_bundle,
 "push-simple": push_simple, "push-bundle": push_bundle}[command](*arguments)
