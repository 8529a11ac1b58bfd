#!/usr/bin/env bash
# Builds satellite, ground-control and satctl for release with the Swift runtime linked in, and
# prints the directory that holds them. package.sh, demo.sh and test.sh all build through here,
# so they share one build (other flags would build everything again).
set -euo pipefail
cd "$(dirname "$0")/.."
# No debug information: the packages ship stripped programs, and leaving it out makes the build
# shorter and the link much lighter (symbol names, enough for a backtrace, stay).
flags=(-c release --static-swift-stdlib -Xswiftc -gnone -Xcc -g0 -Xcxx -g0)
for product in satellite ground-control satctl; do
  echo "release-build: $product" >&2
  swift build "${flags[@]}" --product "$product" 2>&1 | grep -E "error|Build" | tail -3 >&2
done
swift build "${flags[@]}" --show-bin-path
