#!/usr/bin/env bash
# Fleet benchmark: simulated satellites against ground-control, not a test. There is no peer
# control plane to run here, so the figures are compared with targets (issue 30).
#
#   scripts/bench/fleet.sh [SATELLITES] [SECONDS]     (defaults 10000 and 300)
#
# The default run is the fleet at scale: Ground Control as GC_PROCESSES processes (default: one
# per 12,500 satellites, each under the open-file limit) on one PostgreSQL this script starts,
# and the simulator (`--wire`: each satellite on raw HTTP/1.1 connections, as the agent behaves)
# as processes of at most 9,000 satellites spread evenly over the Ground Control ones. Every
# satellite registers, then holds its long-poll and heartbeats as Ground Control asks
# (GROUND_CONTROL_FLAGS adds to `ground-control serve`; the quiet heartbeat and the poll wait
# are 300 s unless it says otherwise); SECONDS of steady state are measured; then the group of
# all of them changes once and every satellite must get the new state. It ends with one line:
#   fleet: satellites=N gc_processes=P steady_cpu_cores=X wake_p50_s=A wake_p99_s=B missed=M \
#     heartbeat_p99_ms=H gc_rss_kib_per_satellite=K registration_s=R
#
# SQLITE_ONLY=1 runs the earlier single-process measurement instead (one ground-control on
# SQLite, the AsyncHTTPClient simulator, heartbeats every 30 s, DURATION seconds); LONG_POLLS=N
# has only N satellites long-poll there. IDENTITY=1 runs SQLite over HTTPS twice, bearer
# credentials then client certificates (each satellite's own key, enrolled with a CSR), and
# prints the ratio of server CPU per request; IDENTITY=mtls-first runs the two the other way round.
set -euo pipefail
cd "$(dirname "$0")/../.."
SATELLITES=${1:-10000}
DURATION=${2:-300}

. scripts/bench/common.sh
BENCH_WITHOUT_SATELLITE=1
bench_setup fleet curl:curl psql:postgresql
# The flags of scripts/release-build.sh, so the modules it compiled are reused.
flags=(-c release -Xswiftc -gnone -Xcc -g0 -Xcxx -g0)
swift build "${flags[@]}" --product ground-control >/dev/null
swift build "${flags[@]}" --product fleet-simulator >/dev/null
BIN=$(swift build "${flags[@]}" --show-bin-path)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
ulimit -n "$(ulimit -Hn)"

run_fleet() { # LABEL DATABASE [SCHEME SERVER-FLAGS SIMULATOR-FLAGS]
  local label=$1 database=$2 scheme=${3:-http} server=${4:-} simulator=${5:-} port pid
  port=$(free_port)
  # shellcheck disable=SC2086 # the flag lists are split on purpose
  GROUND_CONTROL_ADMIN_TOKEN=bench-admin "$BIN/ground-control" serve --listen "127.0.0.1:$port" \
    --database "$database" --secret-key-file "$WORK/secret-$label.key" --log-level error $server ${GROUND_CONTROL_FLAGS:-} > "$WORK/gc-$label.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_http "$scheme://127.0.0.1:$port/readyz" ${simulator:+--cacert "$WORK/tls.crt"}
  echo "== $label: $SATELLITES satellites, ${DURATION}s"
  # shellcheck disable=SC2086
  "$BIN/fleet-simulator" --url "$scheme://127.0.0.1:$port" --admin-token bench-admin --satellites "$SATELLITES" \
    --heartbeat-seconds 30 --duration "$DURATION" --server-pid "$pid" ${LONG_POLLS:+--long-polls "$LONG_POLLS"} $simulator \
    | tee "$WORK/sim-$label.log"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# Server CPU seconds per request of a run's log.
cpu_per_request() {
  awk '/^requests:/ { n = $2 } /^server CPU during the load:/ { c = $6 } END { printf "%.1f", c * 1e6 / n }' "$1"
}

if [ -n "${IDENTITY:-}" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
  tls="--tls-cert $WORK/tls.crt --tls-key $WORK/tls.key"
  bearer_run() { run_fleet tls-bearer "sqlite:$WORK/bearer.sqlite" https "$tls --satellite-auth both" "--ca $WORK/tls.crt --warm-up 35"; }
  mtls_run() { run_fleet tls-mtls "sqlite:$WORK/mtls.sqlite" https "$tls --satellite-auth mtls" "--ca $WORK/tls.crt --mtls --warm-up 35"; }
  # IDENTITY=mtls-first swaps the order, to tell the order's effect from the mode's.
  if [ "$IDENTITY" = mtls-first ]; then mtls_run; bearer_run; else bearer_run; mtls_run; fi
  bearer=$(cpu_per_request "$WORK/sim-tls-bearer.log")
  mtls=$(cpu_per_request "$WORK/sim-tls-mtls.log")
  echo "server CPU per request: bearer $bearer µs, mTLS $mtls µs; mTLS/bearer $(awk "BEGIN { printf \"%.2f\", $mtls / $bearer }")"
  exit 0
fi

if [ -n "${SQLITE_ONLY:-}" ]; then
  run_fleet sqlite "sqlite:$WORK/fleet.sqlite"
  exit 0
fi

# PostgreSQL on a temp directory and a free port; as the postgres user when run as root.
chmod 755 "$WORK"
mkdir -p "$WORK/pg"
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK/pg"; AS=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
PGPORT=$(free_port)
"${AS[@]}" "$PGBIN/postgres" -D "$WORK/pg/data" -p "$PGPORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 \
  -c max_connections=400 > "$WORK/pg/log" 2>&1 &
PG_PID=$!
PIDS+=("$PG_PID")
for _ in $(seq 1 200); do psql -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'select 1' >/dev/null 2>&1 && break; sleep 0.05; done
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'CREATE DATABASE fleet'
. scripts/bench/fleet-scale.sh
run_scale "postgres://postgres@127.0.0.1:$PGPORT/fleet?sslmode=disable"
