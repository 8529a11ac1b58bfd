#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests drive (real registry clients and peers)
# when it is missing, so it works on a fresh machine that has only Swift, gcc and Python. Builds
# the tests and the programs for release, packages the programs into dist/, and runs every suite
# against them. Arguments go to `swift test` (`--filter X`).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# command -> Debian package
declare -A tools=(
  [skopeo]=skopeo [podman]=podman [umoci]=umoci [containerd]=containerd [ctr]=containerd
  [docker-registry]=docker-registry [curl]=curl [openssl]=openssl [htpasswd]=apache2-utils [unshare]=util-linux
  [ip]=iproute2 [tc]=iproute2 [chromium]=chromium [chromedriver]=chromium-driver [dockerd]=docker.io
  [kubectl]=kubernetes-client
)
missing=()
for tool in "${!tools[@]}"; do
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1; then
    missing+=("${tools[$tool]}")
  fi
done
# Sync windows read zones from the tz database; minimal images lack it.
if [ ! -f /usr/share/zoneinfo/Europe/Berlin ]; then
  missing+=(tzdata)
fi
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
# import name:package name
for pair in oras:oras cryptography:cryptography schemathesis:schemathesis selenium:selenium oidc_provider_mock:oidc-provider-mock; do
  module=${pair%%:*} package=${pair#*:}
  if ! python3 -c "import $module" >/dev/null 2>&1; then
    echo "test.sh: installing python $package"
    python3 -m pip install -q "$package"
  fi
done

# The code's layout is swift-format's, with the repository's .swift-format (lines up to 120).
# swift-format leaves a line it cannot break (a long string) as it is, so the length is checked too.
swift format lint --strict -r Sources Tests Package.swift
long=$(git ls-files 'Sources/*.swift' 'Tests/*.swift' 'Package.swift' | xargs awk 'length > 120 { print FILENAME ":" FNR }')
if [ -n "$long" ]; then
    echo "lines over 120 characters (split them; a long string becomes a multi-line literal):" >&2
    echo "$long" >&2
    exit 1
fi

# One release build for everything: the tests, and the programs they drive, which are the ones
# the packages ship (release-build.sh links them again with the Swift runtime inside; the optimiser
# has exposed bugs a debug build hid). The flags are release-build.sh's, so nothing compiles twice.
swift build -c release -Xswiftc -gnone -Xcc -g0 -Xcxx -g0 --build-tests
products=$(scripts/release-build.sh)
PACKAGE_PRODUCTS="$products" scripts/package.sh
SATELLITE_PRODUCTS="$products" swift test -c release --skip-build "$@"
