#!/usr/bin/env bash
# Runs the suites that drive `satellite` from outside (real clients, replication, retries) again,
# against a release build: the optimiser has exposed bugs the debug build hid, and the blob pump's
# timing differs. Expects `scripts/test.sh` to have run (tools installed, tests built).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product satellite
SATELLITE_PRODUCTS="$(swift build -c release --show-bin-path)" \
  swift test --skip-build --filter "RealClientTests|ReplicationTests|RetryTests"
