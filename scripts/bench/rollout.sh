#!/usr/bin/env bash
# Rollout benchmark: the fleet simulator's satellites (each applies every state it is given at
# once and reports it, as a satellite holding the content would) in one group whose change goes
# out in waves. Not a test. No peer control plane has rollouts to run beside it, so the figures
# are compared with the target: each wave reached within 1 s of its gate holding (the members
# before it applied the change, plus the soak), and Ground Control's CPU per step.
#
#   scripts/bench/rollout.sh [SATELLITES] [POLICY]     (defaults 1000 and 'waves=10%,50%,100%;soak=5s')
#
# GROUND_CONTROL_FLAGS adds flags to `ground-control serve`.
set -euo pipefail
cd "$(dirname "$0")/../.."
SATELLITES=${1:-1000}
POLICY=${2:-'waves=10%,50%,100%;soak=5s'}

. scripts/bench/common.sh
BENCH_WITHOUT_SATELLITE=1
bench_setup rollout curl:curl
flags=(-c release -Xswiftc -gnone -Xcc -g0 -Xcxx -g0)
swift build "${flags[@]}" --product ground-control >/dev/null
swift build "${flags[@]}" --product fleet-simulator >/dev/null
BIN=$(swift build "${flags[@]}" --show-bin-path)
ulimit -n "$(ulimit -Hn)"

port=$(free_port)
# shellcheck disable=SC2086 # the flag list is split on purpose
GROUND_CONTROL_ADMIN_TOKEN=bench-admin "$BIN/ground-control" serve --listen "127.0.0.1:$port" \
  --database "sqlite:$WORK/fleet.sqlite" --secret-key-file "$WORK/secret.key" --log-level error \
  ${GROUND_CONTROL_FLAGS:-} > "$WORK/gc.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_http "http://127.0.0.1:$port/readyz"
echo "== $SATELLITES satellites, rollout '$POLICY'"
"$BIN/fleet-simulator" --url "http://127.0.0.1:$port" --admin-token bench-admin --satellites "$SATELLITES" \
  --server-pid "$pid" --rollout "$POLICY" | tee "$WORK/sim.log"
line=$(grep '^rollout:' "$WORK/sim.log")
worst=$(echo "$line" | sed -E 's/.*gate_to_wave_max_s=([0-9.-]+).*/\1/')
echo "target: each wave within 1 s of its gate; worst $worst s: $(awk "BEGIN { print ($worst <= 1) ? \"met\" : \"missed\" }")"
