#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests drive (real registry clients and peers)
# when it is missing, so it works on a fresh machine that has only Swift, gcc and Python. Builds
# the tests (debug) and the release programs, packages them into dist/, runs every suite, then
# the process-driving suites again against the release build. Arguments go to the first run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# command -> Debian package
declare -A tools=(
  [skopeo]=skopeo [podman]=podman [umoci]=umoci [containerd]=containerd [ctr]=containerd
  [docker-registry]=docker-registry [curl]=curl [openssl]=openssl [htpasswd]=apache2-utils [unshare]=util-linux
)
missing=()
for tool in "${!tools[@]}"; do
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1; then
    missing+=("${tools[$tool]}")
  fi
done
# PostgreSQL's server programs live outside PATH; the fleet store tests start their own server.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || ! command -v psql >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "test.sh: installing $packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi
# systemd-analyze checks the packaged units.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "test.sh: installing systemd (for systemd-analyze)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi
for module in oras cryptography schemathesis; do
  if ! python3 -c "import $module" >/dev/null 2>&1; then
    echo "test.sh: installing python $module"
    python3 -m pip install -q "$module"
  fi
done

swift build --build-tests
# The release programs and dist/: the package tests check them, and the suites that drive
# `satellite` from outside run again against them (the optimiser has exposed bugs the debug
# build hid, and the blob pump's timing differs).
scripts/package.sh
swift test --skip-build "$@"
SATELLITE_PRODUCTS="$(scripts/release-build.sh 2>/dev/null)" \
  swift test --skip-build --filter "RealClientTests|ReplicationTests|RetryTests|OfflineResilienceTests"
