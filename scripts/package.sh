#!/usr/bin/env bash
# Packages satellite, ground-control and satctl for real sites into dist/:
#
#   dist/<program>-<version>-linux-<arch>.tar.gz   the program (static Swift runtime), its systemd
#                                                  unit and example config, docs, install.sh
#   dist/images/satellite, dist/images/ground-control   OCI layouts (tag <version>), built without
#                                                  a container engine
#   dist/SHA256SUMS
#
#   scripts/package.sh                  release build (scripts/release-build.sh), then package
#   PACKAGE_PRODUCTS=DIR scripts/package.sh   package programs already built in DIR (which must
#                                       not link libswift*: build them with --static-swift-stdlib)
#   PACKAGE_OUT=DIR                     write somewhere other than dist/
set -euo pipefail
cd "$(dirname "$0")/.."
programs=(satellite ground-control satctl)
out=${PACKAGE_OUT:-dist}

if [ -n "${PACKAGE_PRODUCTS:-}" ]; then
  bin=$PACKAGE_PRODUCTS
else
  bin=$(scripts/release-build.sh)
fi

version=$("$bin/satellite" --version)
machine=$(uname -m)
case "$machine" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$machine ;; esac
work=$(mktemp -d /tmp/package.XXXXXX)
trap 'rm -rf "$work"' EXIT
rm -rf "$out" && mkdir -p "$out/images"

for program in "${programs[@]}"; do
  if ldd "$bin/$program" | grep -q libswift; then
    echo "package: $bin/$program links the Swift runtime dynamically; build it with --static-swift-stdlib" >&2
    exit 1
  fi
  [ "$("$bin/$program" --version)" = "$version" ] || { echo "package: $program is not version $version" >&2; exit 1; }
done

# One tarball per program: bin/, the systemd unit, example config, docs and an installer.
for program in "${programs[@]}"; do
  name="$program-$version-linux-$machine"
  root="$work/$name"
  mkdir -p "$root/bin" "$root/share/doc/harbor-satellite"
  cp "$bin/$program" "$root/bin/" && strip "$root/bin/$program"
  cp README.md docs/operating.md "$root/share/doc/harbor-satellite/"
  if [ -f "deploy/systemd/$program.service" ]; then
    mkdir -p "$root/lib/systemd/system" "$root/etc/$program"
    cp "deploy/systemd/$program.service" "$root/lib/systemd/system/"
    cp "deploy/config/$program.yaml" "deploy/config/$program.env" "$root/etc/$program/"
  fi
  # Opt-in drop-ins (root for runtime configuration): shipped beside the docs, never installed.
  if [ -d "deploy/systemd/$program.service.d" ]; then
    mkdir -p "$root/share/harbor-satellite/systemd/$program.service.d"
    cp deploy/systemd/"$program".service.d/*.conf "$root/share/harbor-satellite/systemd/$program.service.d/"
  fi
  cat >"$root/install.sh" <<'INSTALL'
#!/bin/sh
# Installs this package under /usr/local and /etc (existing config files are kept), then says
# what is left to do. Run as root from the unpacked directory.
set -eu
cd "$(dirname "$0")"
install -d /usr/local/bin /usr/local/share/doc/harbor-satellite
install -m 0755 bin/* /usr/local/bin/
install -m 0644 share/doc/harbor-satellite/* /usr/local/share/doc/harbor-satellite/
for unit in lib/systemd/system/*.service; do
  [ -e "$unit" ] || continue
  install -m 0644 "$unit" /etc/systemd/system/
  program=$(basename "$unit" .service)
  install -d -m 0755 "/etc/$program"
  for file in etc/"$program"/*; do
    target="/etc/$program/$(basename "$file")"
    mode=0644; case "$file" in *.env) mode=0600 ;; esac
    if [ -e "$target" ]; then echo "kept $target"; else install -m "$mode" "$file" "$target"; fi
  done
  systemctl daemon-reload 2>/dev/null || true
  echo "installed $program: edit /etc/$program/$program.yaml and $program.env, then: systemctl enable --now $program"
done
/usr/local/bin/"$(ls bin | head -1)" --version
INSTALL
  chmod +x "$root/install.sh"
  tar -C "$work" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -czf "$out/$name.tar.gz" "$name"
  echo "wrote $out/$name.tar.gz"
done

# OCI images: the program, the C libraries it links and their loader (from this machine), CA
# certificates, a nonroot user (65532) and its data directory as a volume.
for program in satellite ground-control; do
  files=(--file "$work/$program-$version-linux-$machine/bin/$program:/usr/local/bin/$program:755")
  for library in $(ldd "$bin/$program" | grep -o '/[^ ]*'); do
    files+=(--file "$(readlink -f "$library"):$library:755")
  done
  [ -f /etc/ssl/certs/ca-certificates.crt ] && files+=(--file /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:644)
  case $program in
    satellite) data=/var/lib/satellite; env=(--env SATELLITE_DATA_DIR=$data); port=5050 ;;
    ground-control) data=/var/lib/ground-control; env=(--env "GROUND_CONTROL_DATABASE=sqlite:$data/ground-control.sqlite"); port=8080 ;;
  esac
  python3 scripts/package/oci-image.py --layout "$out/images/$program" --tag "$version" --architecture "$arch" \
    "${files[@]}" \
    --text "/etc/passwd:644:root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:$data:/sbin/nologin
" --text "/etc/group:644:root:x:0:
nonroot:x:65532:
" \
    --dir /tmp:1777:0 --dir "$data:700:65532" \
    --entrypoint "/usr/local/bin/$program" --cmd=--help "${env[@]}" --user 65532:65532 \
    --volume "$data" --port "$port/tcp" \
    --label "org.opencontainers.image.title=$program" --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.description=Harbor Satellite: $program"
done

(cd "$out" && sha256sum ./*.tar.gz >SHA256SUMS)
echo "package: $out holds version $version for linux/$arch"
