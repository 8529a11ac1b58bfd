#!/usr/bin/env python3
"""Writes the schema the repository's Kubernetes manifests are checked against: from the OpenAPI
document a Kubernetes release publishes (swagger 2.0, as kubernetes-client/python keeps it in
kubernetes/swagger.json.unprocessed), the definitions of the kinds below and everything they
reach, with the field names, types, formats and required fields, and no descriptions.

    kubernetes-schema.py SWAGGER.json VERSION > deploy/kubernetes/schema/kubernetes-VERSION.json

Tests/IntegrationTests/KubernetesManifestTests.swift renders every kustomization and checks each
object against it: its apiVersion and kind are known, every field it sets exists with the type
given, and every required field is there.
"""
import json
import sys

KINDS = [
    ("", "v1", "Namespace"), ("", "v1", "Secret"), ("", "v1", "ConfigMap"), ("", "v1", "Service"),
    ("", "v1", "ServiceAccount"), ("", "v1", "PersistentVolumeClaim"), ("apps", "v1", "Deployment"),
    ("apps", "v1", "DaemonSet"), ("apps", "v1", "StatefulSet"),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"),
    ("networking.k8s.io", "v1", "NetworkPolicy"), ("policy", "v1", "PodDisruptionBudget"),
]
KEPT = ("type", "format", "items", "additionalProperties", "properties", "required", "$ref",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string")


def main():
    swagger = json.load(open(sys.argv[1]))
    definitions = swagger["definitions"]
    kinds, wanted = {}, []
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            key = (gvk["group"], gvk["version"], gvk["kind"])
            if key in KINDS and key not in kinds:
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                kinds[f"{api_version}/{gvk['kind']}"] = name
                wanted.append(name)
    missing = [k for k in KINDS if f"{k[0] + '/' if k[0] else ''}{k[1]}/{k[2]}" not in kinds]
    if missing:
        raise SystemExit(f"the document has no {missing}")
    kept = {}

    def strip(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key not in KEPT:
                    continue
                if key == "$ref":
                    ref = value.split("/")[-1]
                    visit(ref)
                    out["$ref"] = ref
                elif key == "properties":
                    out[key] = {field: strip(schema) for field, schema in value.items()}
                else:
                    out[key] = strip(value)
            return out
        if isinstance(node, list):
            return [strip(item) for item in node]
        return node

    def visit(name):
        if name in kept:
            return
        kept[name] = None
        kept[name] = strip(definitions[name])

    for name in wanted:
        visit(name)
    print(json.dumps({
        "kubernetesVersion": sys.argv[2],
        "source": "the OpenAPI (swagger 2.0) document Kubernetes " + sys.argv[2] + " publishes, as "
                  "kubernetes-client/python keeps it (kubernetes/swagger.json.unprocessed); made by "
                  "scripts/kubernetes-schema.py",
        "kinds": dict(sorted(kinds.items())),
        "definitions": dict(sorted(kept.items())),
    }, indent=1, sort_keys=False))


main()
