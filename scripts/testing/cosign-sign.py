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

ECDSA signs SHA-256 (DER), Ed25519 the message itself, RSA SHA-256 with PKCS #1 v1.5.
"""
import base64
import hashlib
import json
import sys

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


def simple(key_path, digest, reference="registry.example/app"):
    payload = json.dumps({
        "critical": {"identity": {"docker-reference": reference}, "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": None,
    }, separators=(",", ":")).encode()
    print(json.dumps({"payload": b64(payload), "signature": b64(sign(load(key_path), payload))}))


def bundle(key_path, digest):
    algorithm, _, hex_digest = digest.partition(":")
    statement = json.dumps({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/app", "digest": {algorithm: hex_digest}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    }, separators=(",", ":")).encode()
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(statement), statement)
    print(json.dumps({
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64(statement), "payloadType": payload_type,
                         "signatures": [{"sig": b64(sign(load(key_path), pae)), "keyid": ""}]},
    }))


def message_bundle(key_path, manifest_path):
    with open(manifest_path, "rb") as f:
        manifest = f.read()
    print(json.dumps({
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(manifest).digest())},
                             "signature": b64(sign(load(key_path), manifest))},
    }))


command, arguments = sys.argv[1], sys.argv[2:]
{"keygen": keygen, "simple": simple, "bundle": bundle, "message-bundle": message_bundle}[command](*arguments)
