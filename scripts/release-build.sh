#!/usr/bin/env bash
# Builds satellite, ground-control and satctl for release with the Swift runtime linked in, and
# prints the directory that holds them. package.sh, demo.sh, test.sh and the benchmarks all build
# through here, so they share one build.
#
# The modules are compiled once, in the release build the tests use too (test.sh builds the tests
# with these same flags); only the programs' final link adds the runtime (static-relink.py), since
# SwiftPM's --static-swift-stdlib would compile every module a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
# No debug information: the packages ship stripped programs, and leaving it out makes the build
# shorter and the link much lighter (symbol names, enough for a backtrace, stay).
flags=(-c release -Xswiftc -gnone -Xcc -g0 -Xcxx -g0)
products=(satellite ground-control satctl)
for product in "${products[@]}"; do
  echo "release-build: $product" >&2
  swift build "${flags[@]}" --product "$product" 2>&1 | grep -E "error|Build" | tail -3 >&2
done
bin=$(swift build "${flags[@]}" --show-bin-path)
out="$bin-static"
python3 scripts/package/static-relink.py .build/release.yaml "$out" "${products[@]}"
echo "$out"
