#!/usr/bin/env bash
# Bundle benchmarks: making a bundle at Ground Control (satctl satellites bundle) and applying it
# (satellite import) against `skopeo copy` of the same images to and from oci-archives, in one
# run, printing ratios; and the peak memory of both sides at two bundle sizes. Not a test.
#
#   scripts/bench/bundle.sh [BASE_MIB] [UNIQUE_MIB]     (defaults 100 and 45: 20 images, ~1.1 GiB)
#
# The images come from Debian's docker-registry on 127.0.0.1. skopeo writes one oci-archive per
# image (an oci-archive holds one) and reads each back into a second docker-registry; the
# satellite's bundle holds all of them, its import writes the satellite's store.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE_MIB=${1:-100}
UNIQUE_MIB=${2:-45}
REPOS=4
TAGS=5

. scripts/bench/common.sh
bench_setup bundle docker-registry:docker-registry skopeo:skopeo curl:curl
BIN=$(dirname "$SATELLITE")
measure() { python3 scripts/bench/measure.py "$@"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
start_registry source
start_registry target

echo "== making $((REPOS * TAGS)) images: bases 2 x ${BASE_MIB} MiB shared, ${UNIQUE_MIB} MiB each of their own"
python3 scripts/bench/make-images.py "$WORK/layout" $REPOS $TAGS "$BASE_MIB" "$UNIQUE_MIB"
IMAGES=()
for r in $(seq 0 $((REPOS - 1))); do
  for t in $(seq 0 $((TAGS - 1))); do
    skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/layout:r$r-t$t" "docker://127.0.0.1:$PORT_source/bench/r$r:t$t"
    IMAGES+=("bench/r$r:t$t")
  done
done
CONTENT_MIB=$(du -sm "$WORK/layout/blobs" | cut -f1)

GC_PORT=$(free_port)
export SATCTL_URL="http://127.0.0.1:$GC_PORT" SATCTL_TOKEN=bench-admin
GROUND_CONTROL_ADMIN_TOKEN=bench-admin "$BIN/ground-control" serve --listen "127.0.0.1:$GC_PORT" \
  --database "sqlite:$WORK/fleet.sqlite" --log-level error > "$WORK/gc.log" 2>&1 &
GC_PID=$!; PIDS+=("$GC_PID")
wait_http "http://127.0.0.1:$GC_PORT/readyz"
"$BIN/satctl" registries put central --registry-url "http://127.0.0.1:$PORT_source" >/dev/null
artifacts=(); for image in "${IMAGES[@]}"; do artifacts+=(--artifact "$image"); done
"$BIN/satctl" groups put small --registry central --artifact "${IMAGES[0]}" >/dev/null
"$BIN/satctl" groups put all --registry central "${artifacts[@]}" >/dev/null
"$BIN/satctl" satellites create small-site --group small >/dev/null
"$BIN/satctl" satellites create edge --group all >/dev/null
curl -sf "http://127.0.0.1:$GC_PORT/api/v1/public-key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["publicKey"])' > "$WORK/gc.pub"
gc_rss() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$GC_PID/status"; }

echo "== bundles at Ground Control (satctl satellites bundle)"
GC_RSS_START=$(gc_rss)
read -r SMALL_MAKE _ < <(measure "$BIN/satctl" satellites bundle small-site -o "$WORK/small.tar")
GC_RSS_SMALL=$(gc_rss)
read -r MAKE _ < <(measure "$BIN/satctl" satellites bundle edge -o "$WORK/edge.tar")
GC_RSS_FULL=$(gc_rss)
BUNDLE_MIB=$(du -m "$WORK/edge.tar" | cut -f1)
SMALL_MIB=$(du -m "$WORK/small.tar" | cut -f1)
echo "bundle: ${BUNDLE_MIB} MiB in ${MAKE}s; a ${SMALL_MIB} MiB one in ${SMALL_MAKE}s; Ground Control peak RSS ${GC_RSS_START} MiB before, ${GC_RSS_SMALL} after the small, ${GC_RSS_FULL} after the large"

echo "== skopeo copy to oci-archives (one per image)"
mkdir -p "$WORK/archives"
archive() { echo "$WORK/archives/${1//[\/:]/-}.tar"; }
start=$(now)
for image in "${IMAGES[@]}"; do
  skopeo copy -q --preserve-digests --src-tls-verify=false "docker://127.0.0.1:$PORT_source/$image" "oci-archive:$(archive "$image")"
done
SKOPEO_OUT=$(elapsed "$start")
ARCHIVE_MIB=$(du -sm "$WORK/archives" | cut -f1)
echo "skopeo: ${ARCHIVE_MIB} MiB of archives in ${SKOPEO_OUT}s"

echo "== satellite import"
read -r SMALL_IMPORT SMALL_IMPORT_RSS < <(measure "$SATELLITE" import "$WORK/small.tar" --data-dir "$WORK/small-site" --state-public-key "$WORK/gc.pub")
sync
read -r IMPORT IMPORT_RSS < <(measure "$SATELLITE" import "$WORK/edge.tar" --data-dir "$WORK/site" --state-public-key "$WORK/gc.pub")
echo "import: ${IMPORT}s, peak RSS ${IMPORT_RSS} MiB (the ${SMALL_MIB} MiB bundle: ${SMALL_IMPORT}s, ${SMALL_IMPORT_RSS} MiB)"

echo "== skopeo copy from oci-archives into docker-registry"
sync
start=$(now)
for image in "${IMAGES[@]}"; do
  skopeo copy -q --preserve-digests --dest-tls-verify=false "oci-archive:$(archive "$image")" "docker://127.0.0.1:$PORT_target/$image"
done
SKOPEO_IN=$(elapsed "$start")
echo "skopeo: ${SKOPEO_IN}s"

echo "== one image each way: the small bundle against skopeo with one oci-archive, into an empty docker-registry"
start_registry single
start=$(now)
skopeo copy -q --preserve-digests --src-tls-verify=false "docker://127.0.0.1:$PORT_source/${IMAGES[0]}" "oci-archive:$WORK/single.tar"
ONE_OUT=$(elapsed "$start")
sync
start=$(now)
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci-archive:$WORK/single.tar" "docker://127.0.0.1:$PORT_single/${IMAGES[0]}"
ONE_IN=$(elapsed "$start")
echo "skopeo: ${ONE_OUT}s to the archive, ${ONE_IN}s from it"

mibps() { python3 -c "print('%.0f' % ($1 / $2))"; }
echo
echo "content ${CONTENT_MIB} MiB in $((REPOS * TAGS)) images"
echo "one image (${SMALL_MIB} MiB): make ${SMALL_MAKE}s vs skopeo ${ONE_OUT}s -> $(ratio "$ONE_OUT" "$SMALL_MAKE")x; import ${SMALL_IMPORT}s vs skopeo ${ONE_IN}s -> $(ratio "$ONE_IN" "$SMALL_IMPORT")x"
echo "archive throughput: bundle $(mibps "$BUNDLE_MIB" "$MAKE") MiB/s written, $(mibps "$BUNDLE_MIB" "$IMPORT") MiB/s imported; skopeo $(mibps "$ARCHIVE_MIB" "$SKOPEO_OUT") MiB/s written, $(mibps "$ARCHIVE_MIB" "$SKOPEO_IN") MiB/s read (its ${ARCHIVE_MIB} MiB of archives repeat the shared bases)"
echo "make:   bundle ${MAKE}s vs skopeo to oci-archives ${SKOPEO_OUT}s -> $(ratio "$SKOPEO_OUT" "$MAKE")x"
echo "import: satellite ${IMPORT}s vs skopeo from oci-archives ${SKOPEO_IN}s -> $(ratio "$SKOPEO_IN" "$IMPORT")x"
echo "memory: import peak ${SMALL_IMPORT_RSS} MiB (${SMALL_MIB} MiB bundle) and ${IMPORT_RSS} MiB (${BUNDLE_MIB} MiB); Ground Control ${GC_RSS_START} -> ${GC_RSS_SMALL} -> ${GC_RSS_FULL} MiB"
