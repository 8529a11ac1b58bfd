#!/usr/bin/env bash
# Site benchmark: five satellites of one site fill themselves from one upstream behind a shared
# WAN link, with and without peers, against one satellite alone, in one run, printing ratios.
# Not a test.
#
#   [RUNS=1] [WAN_RATE=12500000] [SATELLITES=5] scripts/bench/site.sh [UNIQUE_MIB]
#                                   (default 45: ten images of 45 MiB plus two 25 MiB bases, 500 MiB)
#
# The WAN is scripts/testing/link-relay.py --total-rate WAN_RATE (bytes/s for all connections
# together; 12500000 is 100 Mbit/s) in front of Debian's docker-registry. Measures, from the
# moment the state reaches every satellite until each reports it in line:
#   alone  one satellite;
#   site   SATELLITES satellites of one site, peers and credential in the state;
#   none   the same satellites without peers (each fetches everything over the WAN);
# and for each, the blob bytes the upstream sent (its access log) over the state's blob bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
UNIQUE_MIB=${1:-45}
BASE_MIB=25
RUNS=${RUNS:-1}
WAN_RATE=${WAN_RATE:-12500000}
COUNT=${SATELLITES:-5}

. scripts/bench/common.sh
bench_setup site docker-registry:docker-registry skopeo:skopeo curl:curl
median() { python3 -c 'import statistics,sys; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

start_upstream

echo "== making 10 images: two ${BASE_MIB} MiB bases, ${UNIQUE_MIB} MiB each of their own"
python3 scripts/bench/make-images.py "$WORK/layout" 5 2 "$BASE_MIB" "$UNIQUE_MIB"
ARTIFACTS=""
for r in 0 1 2 3 4; do
  for t in 0 1; do
    skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/layout:r$r-t$t" "docker://127.0.0.1:$UP_PORT/bench/r$r:t$t"
    ARTIFACTS+="  - {upstream: central, repository: bench/r$r, tag: t$t}\n"
  done
done
STATE_BYTES=$(python3 -c '
import json, os, sys
layout = sys.argv[1]
seen, total = set(), 0
for entry in json.load(open(layout + "/index.json"))["manifests"]:
    manifest = json.load(open(layout + "/blobs/sha256/" + entry["digest"][7:]))
    for blob in [manifest["config"]] + manifest["layers"]:
        if blob["digest"] not in seen:
            seen.add(blob["digest"]); total += blob["size"]
print(total)' "$WORK/layout")

python3 scripts/testing/link-relay.py "$UP_PORT" --total-rate "$WAN_RATE" > "$WORK/wan.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^port ' "$WORK/wan.log" 2>/dev/null && break; sleep 0.1; done
WAN_PORT=$(awk '/^port / {print $2; exit}' "$WORK/wan.log")
CREDENTIAL=bench-site-credential-0123456789

state() { # GENERATION WITH_ARTIFACTS(0|1) PEERS(space-separated URLs, or empty for none)
  printf 'schemaVersion: 1\ngeneration: %s\nupstreams:\n  - {name: central, url: "http://127.0.0.1:%s"}\n' "$1" "$WAN_PORT"
  if [ "$2" = 1 ]; then printf 'artifacts:\n%b' "$ARTIFACTS"; else printf 'artifacts: []\n'; fi
  if [ -n "$3" ]; then
    printf 'peers:\n'; for url in $3; do printf '  - {url: "%s"}\n' "$url"; done
    printf 'site: {name: bench, credential: %s}\n' "$CREDENTIAL"
  fi
}

SAT_PIDS=()
# run_site COUNT WITH_PEERS(0|1): starts COUNT satellites with no artifacts, hands them all the
# state at once, and prints the seconds until all are in line and the upstream blob bytes meanwhile.
run_site() {
  local count=$1 peered=$2 ports=() peers="" i dir
  for i in $(seq 1 "$count"); do ports+=("$(free_port)"); done
  if [ "$peered" = 1 ]; then for p in "${ports[@]}"; do peers+="http://127.0.0.1:$p "; done; fi
  SAT_PIDS=()
  for i in $(seq 0 $((count - 1))); do
    dir="$WORK/sat-$i"; rm -rf "$dir"; mkdir -p "$dir"
    state 1 0 "$peers" > "$dir/state.yaml"
    "$SATELLITE" run --data-dir "$dir/data" --state-file "$dir/state.yaml" --listen "127.0.0.1:${ports[$i]}" \
      --advertise "http://127.0.0.1:${ports[$i]}" --log-level warning >"$dir/log" 2>&1 &
    SAT_PIDS+=($!); PIDS+=($!)
  done
  for p in "${ports[@]}"; do wait_http "http://127.0.0.1:$p/v2/"; done
  local before start
  before=$(upstream_blob_bytes)
  start=$(now)
  for i in $(seq 0 $((count - 1))); do
    state 2 1 "$peers" > "$WORK/sat-$i/state.new" && mv "$WORK/sat-$i/state.new" "$WORK/sat-$i/state.yaml"
  done
  python3 - "$count" "$WORK" <<'EOF'
import json, sys, time
count, work = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 3600
def in_line(i):
    try:
        status = json.load(open(f"{work}/sat-{i}/data/status.json"))
    except (OSError, ValueError):
        return False
    sync = status.get("lastSync") or {}
    return sync.get("generation") == 2 and all(a["outcome"] == "synced" for a in sync.get("artifacts", []))
while not all(in_line(i) for i in range(count)):
    if time.time() > deadline:
        sys.exit("not in line after an hour")
    time.sleep(0.1)
EOF
  echo "$(python3 -c "print('%.2f' % ($(now) - $start))") $(( $(upstream_blob_bytes) - before ))"
  for pid in "${SAT_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

echo "== state: $((STATE_BYTES / 1048576)) MiB of blobs; WAN $WAN_RATE bytes/s shared; $COUNT satellites; $RUNS run(s)"
alone=(); site=(); none=(); site_bytes=(); none_bytes=()
for _ in $(seq 1 "$RUNS"); do
  read -r seconds bytes < <(run_site 1 0); alone+=("$seconds"); echo "alone: ${seconds}s, upstream $(ratio "$bytes" "$STATE_BYTES")x"
  read -r seconds bytes < <(run_site "$COUNT" 1); site+=("$seconds"); site_bytes+=("$bytes"); echo "site of $COUNT with peers: ${seconds}s, upstream $(ratio "$bytes" "$STATE_BYTES")x"
  read -r seconds bytes < <(run_site "$COUNT" 0); none+=("$seconds"); none_bytes+=("$bytes"); echo "$COUNT without peers: ${seconds}s, upstream $(ratio "$bytes" "$STATE_BYTES")x"
done
ALONE=$(median "${alone[@]}"); SITE=$(median "${site[@]}"); NONE=$(median "${none[@]}")

echo
echo "RESULTS (state $((STATE_BYTES / 1048576)) MiB, WAN $WAN_RATE bytes/s, medians of $RUNS)"
echo "all $COUNT in line with peers / one alone: $(ratio "$SITE" "$ALONE")x   (${SITE}s vs ${ALONE}s; target <= 1.3)"
echo "upstream bytes with peers / state: $(ratio "$(median "${site_bytes[@]}")" "$STATE_BYTES")x   (target <= 1.05)"
echo "without peers: $(ratio "$NONE" "$ALONE")x the time, upstream $(ratio "$(median "${none_bytes[@]}")" "$STATE_BYTES")x the state"
