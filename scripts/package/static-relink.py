#!/usr/bin/env python3
"""Links release programs again with the Swift runtime inside (-static-stdlib).

SwiftPM's --static-swift-stdlib changes how every module is compiled, so a build with it cannot
share its modules with the release build of the tests. The objects are the same either way; only
the link differs. This takes the link command SwiftPM planned for each program (from
.build/release.yaml), adds -static-stdlib and points the output at another directory.

usage: static-relink.py BUILD_MANIFEST OUT_DIR PRODUCT...
"""
import json
import os
import re
import subprocess
import sys

manifest_path, out_dir, products = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(manifest_path) as f:
    manifest = f.read()
os.makedirs(out_dir, exist_ok=True)
for product in products:
    key = re.search(r'^  "C\.%s-[^"]*-release\.exe":\n(?:    .*\n)*?    args: (\[.*\])$' % re.escape(product), manifest, re.M)
    if not key:
        sys.exit(f"static-relink: no link command for {product} in {manifest_path}; build it first")
    args = json.loads(key.group(1))
    target = os.path.join(out_dir, product)
    args[args.index("-o") + 1] = target
    args.insert(1, "-static-stdlib")
    # Objects compiled for the shared runtime do not name Foundation's own static dependencies;
    # each archive goes before the ones it uses.
    args += ["-lCoreFoundation", "-l_FoundationCollections", "-l_FoundationCShims", "-l_FoundationICU"]
    result = subprocess.run(args, stderr=subprocess.PIPE, text=True)
    # Static Foundation's createTemporaryFile calls mktemp, and the linker warns of it on every
    # link: noise we cannot act on (Foundation opens the name with O_EXCL), kept from newcomers.
    # Anything else the linker says is shown.
    for line in result.stderr.splitlines():
        if "createTemporaryFile" in line or "is dangerous, better use `mkstemp'" in line:
            continue
        print(line, file=sys.stderr)
    if result.returncode != 0:
        sys.exit(f"static-relink: linking {product} failed")
    print(f"static-relink: {target}", file=sys.stderr)
