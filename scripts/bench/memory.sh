#!/usr/bin/env bash
# Memory under load: CONNECTIONS concurrent GETs of one blob by readers that pause, against the
# satellite and Debian's docker-registry in one run. Prints each server's RSS before, at peak
# (VmHWM) and 5 s after the load, and the ratios. Not a test.
#
#   [CONNECTIONS=200] [PAUSE_MS=2] scripts/bench/memory.sh [SIZE_MIB]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MIB=${1:-50}
CONNECTIONS=${CONNECTIONS:-200}
PAUSE_MS=${PAUSE_MS:-2}

. scripts/bench/common.sh
bench_setup memory docker-registry:docker-registry curl:curl
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

SAT_PORT=$(free_port)
"$SATELLITE" serve --data-dir "$WORK/satellite" --listen "127.0.0.1:$SAT_PORT" --log-level error >/dev/null 2>&1 &
SAT_PID=$!; PIDS+=("$SAT_PID")
wait_http "http://127.0.0.1:$SAT_PORT/v2/"

DR_PORT=$(free_port)
mkdir -p "$WORK/dr"
cat > "$WORK/dr.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/dr}}
http: {addr: 127.0.0.1:$DR_PORT}
YML
docker-registry serve "$WORK/dr.yml" >/dev/null 2>&1 &
DR_PID=$!; PIDS+=("$DR_PID")
wait_http "http://127.0.0.1:$DR_PORT/v2/"

head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/blob"
DIGEST="sha256:$(sha256sum "$WORK/blob" | cut -d' ' -f1)"
for port in "$SAT_PORT" "$DR_PORT"; do
  # POST then PUT: the one upload both registries take.
  location=$(curl -sf -D - -X POST "http://127.0.0.1:$port/v2/bench/memory/blobs/uploads/" -o /dev/null | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
  case "$location" in http*) ;; *) location="http://127.0.0.1:$port$location";; esac
  sep='?'; [[ "$location" == *\?* ]] && sep='&'
  curl -sf -X PUT --data-binary @"$WORK/blob" -H 'Content-Type: application/octet-stream' "$location${sep}digest=$DIGEST" -o /dev/null
  curl -sf -I "http://127.0.0.1:$port/v2/bench/memory/blobs/$DIGEST" -o /dev/null || { echo "the blob did not reach the registry on port $port" >&2; exit 1; }
done
# Warm the page cache, so both serve from memory.
cat "$WORK/blob" > /dev/null

measure() { # NAME PORT PID
  local before; before=$(rss_kib "$3")
  local timing; timing=$(python3 scripts/bench/slow-readers.py "$2" "/v2/bench/memory/blobs/$DIGEST" "$CONNECTIONS" "$PAUSE_MS")
  local peak; peak=$(peak_kib "$3")
  sleep 5
  local after; after=$(rss_kib "$3")
  echo "$1: $CONNECTIONS slow readers of $SIZE_MIB MiB: $timing; RSS before $((before / 1024)) MiB, peak $((peak / 1024)) MiB, 5 s after $((after / 1024)) MiB"
  eval "${1}_PEAK=$peak ${1}_AFTER=$after"
}
measure satellite "$SAT_PORT" "$SAT_PID"
measure docker_registry "$DR_PORT" "$DR_PID"
python3 - "$satellite_PEAK" "$docker_registry_PEAK" "$satellite_AFTER" "$docker_registry_AFTER" <<'PY'
import sys
sp, dp, sa, da = map(int, sys.argv[1:])
print(f"peak RSS: satellite {sp // 1024} MiB vs docker-registry {dp // 1024} MiB ({dp / sp:.2f}x less)")
print(f"RSS after: satellite {sa // 1024} MiB vs docker-registry {da // 1024} MiB ({da / sa:.2f}x less)")
PY
