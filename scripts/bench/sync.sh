#!/usr/bin/env bash
# Replication benchmarks: `satellite run` against `skopeo sync` (registry to registry) for the
# same image set from Debian's docker-registry, in one run, printing ratios. Not a test.
#
#   scripts/bench/sync.sh [BASE_MIB] [UNIQUE_MIB]     (defaults 40 and 20: 20 images, ~480 MiB)
#
# Measures: time of a first full sync, the cost of a repeated sync with nothing changed (requests,
# bytes, time) for 20 and for 100 artifacts (by tag and by digest), and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE_MIB=${1:-40}
UNIQUE_MIB=${2:-20}
REPOS=4
TAGS=5

. scripts/bench/common.sh
bench_setup sync docker-registry:docker-registry skopeo:skopeo curl:curl

start_registry source
start_registry target

echo "== making $((REPOS * TAGS)) images: bases 2 x ${BASE_MIB} MiB shared, ${UNIQUE_MIB} MiB each of their own"
python3 scripts/bench/make-images.py "$WORK/layout" $REPOS $TAGS "$BASE_MIB" "$UNIQUE_MIB"
for r in $(seq 0 $((REPOS - 1))); do
  for t in $(seq 0 $((TAGS - 1))); do
    skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/layout:r$r-t$t" "docker://127.0.0.1:$PORT_source/bench/r$r:t$t"
  done
done
CONTENT_MIB=$(du -sm "$WORK/layout/blobs" | cut -f1)

echo "== skopeo sync, source -> second docker-registry"
start=$(now)
for r in $(seq 0 $((REPOS - 1))); do
  skopeo sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
    "127.0.0.1:$PORT_source/bench/r$r" "127.0.0.1:$PORT_target/mirror" >/dev/null
done
SKOPEO_SECONDS=$(elapsed "$start")
echo "skopeo sync: ${SKOPEO_SECONDS}s"

state_file() { # MODE(tag|digest) ALIASES -> state on stdout
  local mode=$1 aliases=$2
  printf 'schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: central\n    url: http://127.0.0.1:%s\nartifacts:\n' "$PORT_source"
  for r in $(seq 0 $((REPOS - 1))); do
    for t in $(seq 0 $((TAGS - 1))); do
      for a in $(seq 0 $((aliases - 1))); do
        if [ "$mode" = tag ]; then
          tag="t$t"; [ "$a" -gt 0 ] && tag="t$t-alias$a"
          printf '  - upstream: central\n    repository: bench/r%s\n    tag: "%s"\n' "$r" "$tag"
        else
          printf '  - upstream: central\n    repository: bench/r%s\n    digest: %s\n' "$r" "$(jq_digest "$r" "$t")"
        fi
      done
    done
  done
}
jq_digest() { python3 -c "import json; print([m['digest'] for m in json.load(open('$WORK/layout/index.json'))['manifests'] if m['annotations']['org.opencontainers.image.ref.name']=='r$1-t$2'][0])"; }
last_sync() { # FIELD -> value from status.json's lastSync, or empty
  python3 -c "import json,sys; s=json.load(open('$WORK/sat/data/status.json')).get('lastSync') or {}; print(s.get('$1',''))" 2>/dev/null || true
}
wait_sync_count() { # N -> waits until N syncs have finished (counted by finishedAt changes)
  local want=$1 seen=0 last=""
  for _ in $(seq 1 6000); do
    cur=$(last_sync finishedAt)
    if [ -n "$cur" ] && [ "$cur" != "$last" ]; then seen=$((seen + 1)); last=$cur; fi
    [ "$seen" -ge "$want" ] && return 0
    sleep 0.05
  done
  echo "sync did not finish" >&2; exit 1
}
wait_next_sync() { # waits until lastSync.finishedAt differs from what it is now
  local was; was=$(last_sync finishedAt)
  for _ in $(seq 1 6000); do
    [ "$(last_sync finishedAt)" != "$was" ] && [ -n "$(last_sync finishedAt)" ] && return 0
    sleep 0.02
  done
  echo "sync did not finish" >&2; exit 1
}
start_satellite() { # STATE_FILE [SYNC_INTERVAL]
  SAT_PORT=$(free_port)
  "$SATELLITE" run --data-dir "$WORK/sat/data" --listen "127.0.0.1:$SAT_PORT" --state-file "$1" \
    --sync-interval "${2:-3600}" --log-level info >/dev/null 2>"$WORK/sat/err.log" &
  SAT_PID=$!; PIDS+=("$SAT_PID")
}

echo "== satellite run, source -> satellite"
mkdir -p "$WORK/sat"
state_file tag 1 > "$WORK/sat/state20.yaml"
start=$(now)
start_satellite "$WORK/sat/state20.yaml"
wait_sync_count 1
SAT_WALL=$(elapsed "$start")
SAT_SECONDS=$(python3 -c "print('%.2f' % float('$(last_sync durationSeconds)'))")
SAT_RSS=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$SAT_PID/status")
echo "satellite: sync ${SAT_SECONDS}s (${SAT_WALL}s from process start), peak RSS ${SAT_RSS} MiB"
kill "$SAT_PID"; wait "$SAT_PID" 2>/dev/null || true

# 100 artifacts: every image under five tags.
for r in $(seq 0 $((REPOS - 1))); do
  for t in $(seq 0 $((TAGS - 1))); do
    manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PORT_source/v2/bench/r$r/manifests/t$t")
    for a in 1 2 3 4; do
      curl -sf -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$manifest" \
        "http://127.0.0.1:$PORT_source/v2/bench/r$r/manifests/t$t-alias$a"
    done
  done
done

resync() { # STATE_FILE LABEL: the second sync of a running agent, one second after the first
  local before after
  rm -f "$WORK/sat/data/status.json"
  start_satellite "$1" 1
  wait_sync_count 1
  before=$(wc -l < "$WORK/source/access.log")
  wait_next_sync
  after=$(wc -l < "$WORK/source/access.log")
  echo "$2: $(python3 -c "print('%.0f' % (float('$(last_sync durationSeconds)') * 1000))") ms, $((after - before)) upstream requests, $(last_sync manifestsFetched) manifests and $(last_sync blobsFetched) blobs fetched"
  grep "sync finished" "$WORK/sat/err.log" | tail -1 | grep -o 'phases=[^]]*' | sed 's/^/    /' >&2
  kill "$SAT_PID"; wait "$SAT_PID" 2>/dev/null || true
}
echo "== repeated sync with nothing changed (second sync of a running agent)"
RESYNC20=$(resync "$WORK/sat/state20.yaml" "20 artifacts by tag"); echo "$RESYNC20"
state_file tag 5 > "$WORK/sat/state100.yaml"
RESYNC100=$(resync "$WORK/sat/state100.yaml" "100 artifacts by tag"); echo "$RESYNC100"
state_file digest 5 > "$WORK/sat/state100d.yaml"
RESYNC100D=$(resync "$WORK/sat/state100d.yaml" "100 artifacts by digest"); echo "$RESYNC100D"

echo
echo "| measure | satellite | skopeo sync | ratio | target |"
echo "| --- | --- | --- | --- | --- |"
echo "| first sync, $((REPOS * TAGS)) images, ${CONTENT_MIB} MiB (s) | $SAT_SECONDS | $SKOPEO_SECONDS | $(python3 -c "print('%.2f' % (float('$SKOPEO_SECONDS') / float('$SAT_SECONDS')))")x faster | <= 0.5x skopeo's time |"
echo "| peak RSS during that sync (MiB) | $SAT_RSS | — | — | < 150 |"
echo "| resync, nothing changed | $RESYNC20 | | | |"
echo "| resync, nothing changed | $RESYNC100 | | | < 100 ms, 1 request per tag |"
echo "| resync, nothing changed | $RESYNC100D | | | 0 requests |"
