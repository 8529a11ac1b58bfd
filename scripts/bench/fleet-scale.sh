# The fleet at scale (issue 30), sourced by fleet.sh once PostgreSQL runs: defines run_scale.
# Uses fleet.sh's SATELLITES, DURATION, BIN, WORK, PIDS, PG_PID and GROUND_CONTROL_FLAGS;
# PERF_OUT=FILE records where Ground Control's CPU goes in the steady window, with perf. QUIET
# sets the quiet heartbeat and the long-poll wait (default 300 s), SPREAD the satellites' start.

# Sum of user and system CPU seconds of the given pids (/proc/PID/stat fields 14 and 15), with
# CHILDREN=1 also their children's, live (their own) and ended (the parent's fields 16 and 17):
# PostgreSQL's backends come and go.
cpu_of() {
  CHILDREN=${CHILDREN:-} python3 - "$@" <<'PY'
import os, sys
ticks = os.sysconf("SC_CLK_TCK")
def fields(pid):
    stat = open(f"/proc/{pid}/stat").read()
    return stat[stat.rindex(")") + 2:].split()
total = 0
for pid in sys.argv[1:]:
    own = fields(pid)
    total += int(own[11]) + int(own[12])
    if os.environ["CHILDREN"]:
        total += int(own[13]) + int(own[14])
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            try:
                theirs = fields(child)
                total += int(theirs[11]) + int(theirs[12])
            except FileNotFoundError:
                pass
print(total / ticks)
PY
}
# Sum of the resident sets, in KiB.
rss_of() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"))); done; echo "$total"; }
epoch() { python3 -c 'import time; print("%.3f" % time.time())'; }
sleep_until() { python3 -c "import time; time.sleep(max(0, $1 - time.time()))"; }

run_scale() { # DATABASE-URL
  QUIET=${QUIET:-300}
  local database=$1 sims gcs i port pid urls=() gc_pids=() sim_pids=()
  # Ground Control: a process per 12,500 satellites, each under its open-file limit. Simulators:
  # at most 9,000 each (a satellite may hold two connections, and a Swift process that runs out of
  # descriptors is stopped by libdispatch), as many per Ground Control process as each needs.
  gcs=${GC_PROCESSES:-$(( (SATELLITES + 12499) / 12500 ))}
  sims=$(( (SATELLITES + 8999) / 9000 ))
  sims=$(( (sims + gcs - 1) / gcs * gcs ))
  local per=$(( (SATELLITES + sims - 1) / sims ))
  for i in $(seq 0 $((gcs - 1))); do
    port=$(free_port)
    # shellcheck disable=SC2086 # the flag list is split on purpose
    GROUND_CONTROL_ADMIN_TOKEN=bench-admin "$BIN/ground-control" serve --listen "127.0.0.1:$port" \
      --database "$database" --secret-key-file "$WORK/secret.key" --log-level error \
      --quiet-heartbeat-seconds "$QUIET" --poll-wait-seconds "$QUIET" ${GROUND_CONTROL_FLAGS:-} > "$WORK/gc-$i.log" 2>&1 &
    pid=$!
    PIDS+=("$pid"); gc_pids+=("$pid"); urls+=("http://127.0.0.1:$port")
    # The first migrates the database and makes the secrets' key; the others start on them.
    [ "$i" = 0 ] && wait_http "${urls[0]}/readyz"
  done
  for url in "${urls[@]}"; do wait_http "$url/readyz"; done
  local start_rss; start_rss=$(rss_of "${gc_pids[@]}")
  echo "== fleet at scale: $SATELLITES satellites, $gcs Ground Control and $sims simulator processes, ${DURATION}s steady"
  "$BIN/fleet-simulator" --url "${urls[0]}" --admin-token bench-admin --wire --prepare-only --satellites 0

  local registration_started first=0 count spread
  # Satellites start over one quiet interval, as a fleet that has run a while calls: every
  # satellite's heartbeat comes once per interval, and the steady window sees each of them.
  spread=${SPREAD:-$QUIET}
  registration_started=$(epoch)
  for i in $(seq 0 $((sims - 1))); do
    count=$(( SATELLITES - first < per ? SATELLITES - first : per ))
    # shellcheck disable=SC2046 # the --change flag is for the first process only
    "$BIN/fleet-simulator" --url "${urls[$((i % gcs))]}" --admin-token bench-admin --wire \
      --satellites "$count" --first-index "$first" --spread "$spread" \
      --ready-file "$WORK/ready-$i" --go-file "$WORK/go" --samples "$WORK/samples-$i" \
      $([ "$i" = 0 ] && echo --change) > "$WORK/sim-$i.log" 2>&1 &
    sim_pids+=($!); PIDS+=($!)
    first=$((first + count))
  done
  for i in $(seq 0 $((sims - 1))); do
    while [ ! -s "$WORK/ready-$i" ]; do
      if ! kill -0 "${sim_pids[$i]}" 2>/dev/null; then echo "simulator $i stopped:" >&2; cat "$WORK/sim-$i.log" >&2; exit 1; fi
      sleep 0.5
    done
  done
  local registration base_rss
  registration=$(python3 -c "print('%.1f' % ($(epoch) - $registration_started))")
  echo "registration: $SATELLITES satellites in $registration s"
  # The base: every satellite registered, none connected.
  base_rss=$(rss_of "${gc_pids[@]}")
  echo "Ground Control RSS: $start_rss KiB at start, $base_rss KiB with the fleet registered"

  # The timeline: start (spread over $spread s), 60 s to settle, the steady window, the change,
  # and 90 s for every satellite to get the new state.
  local start measure_from measure_until change end
  start=$(python3 -c "print('%.3f' % ($(epoch) + 3))")
  measure_from=$(python3 -c "print('%.3f' % ($start + $spread + 60))")
  measure_until=$(python3 -c "print('%.3f' % ($measure_from + $DURATION))")
  change=$measure_until
  end=$(python3 -c "print('%.3f' % ($change + 90))")
  echo "$start $change $measure_from $measure_until $end" > "$WORK/go"

  sleep_until "$measure_from"
  local cpu_from pg_from; cpu_from=$(cpu_of "${gc_pids[@]}"); pg_from=$(CHILDREN=1 cpu_of "$PG_PID")
  if [ -n "${PERF_OUT:-}" ]; then
    # Where Ground Control's steady CPU goes (perf's report, not part of the figures).
    perf record -F 499 -g -o "$PERF_OUT" -p "$(IFS=,; echo "${gc_pids[*]}")" -- sleep "$DURATION" >/dev/null 2>&1 &
  fi
  sleep_until "$measure_until"
  local cpu_until pg_until rss
  cpu_until=$(cpu_of "${gc_pids[@]}"); pg_until=$(CHILDREN=1 cpu_of "$PG_PID")
  rss=$(rss_of "${gc_pids[@]}")
  for pid in "${sim_pids[@]}"; do wait "$pid" || { echo "a simulator failed:" >&2; tail -20 "$WORK"/sim-*.log >&2; exit 1; }; done
  for i in $(seq 0 $((sims - 1))); do sed 's/^/  /' "$WORK/sim-$i.log" | tail -8; done
  echo "PostgreSQL CPU in the steady window: $(python3 -c "print('%.2f' % (($pg_until - $pg_from) / $DURATION))") cores"
  # Pages of the fleet as the dashboard and satctl ask for them, worked out by the database
  # (the target: each within 200 ms at 100,000), and the counts by state; three times each.
  # Timed once Ground Control is at rest again: the simulators' connections close as they end,
  # and a page timed meanwhile measures that (at most a minute's wait).
  local query times before after
  for _ in $(seq 60); do
    before=$(cpu_of "${gc_pids[@]}"); sleep 1; after=$(cpu_of "${gc_pids[@]}")
    python3 -c "import sys; sys.exit(0 if $after - $before < 0.05 else 1)" && break
  done
  for query in "satellites?page_size=100" "satellites?page=500&page_size=100&sort=-seen" \
    "satellites?state=online&page=3&page_size=100" "satellites?name=77&sort=state&page_size=100" "fleet"; do
    times=()
    for _ in 1 2 3; do
      times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer bench-admin" \
        "${urls[0]}/api/v1/$query")")
    done
    echo "page: GET /api/v1/$query $(python3 -c "print(' / '.join('%.0f' % (1000 * t) for t in (${times[*]/%/,})) + ' ms')")"
  done
  python3 - "$SATELLITES" "$gcs" "$cpu_from" "$cpu_until" "$DURATION" "$base_rss" "$rss" "$registration" \
    "$WORK"/samples-* <<'PY'
import sys
n, gcs, cpu_from, cpu_until, duration, base, rss, registration = sys.argv[1:9]
samples = {"heartbeat": [], "quiet": [], "wake": []}
missed = failed = 0
for path in sys.argv[9:]:
    for line in open(path):
        kind, value = line.split()
        if kind in samples: samples[kind].append(float(value))
        elif kind == "missed": missed += int(value)
        elif kind == "failed": failed += int(value)
def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")
beats = samples["heartbeat"] + samples["quiet"]
print(f"heartbeats in the window: {len(samples['heartbeat'])} full, {len(samples['quiet'])} quiet; failed requests: {failed}")
print(f"fleet: satellites={n} gc_processes={gcs} "
      f"steady_cpu_cores={(float(cpu_until) - float(cpu_from)) / float(duration):.3f} "
      f"wake_p50_s={p(samples['wake'], 0.5):.2f} wake_p99_s={p(samples['wake'], 0.99):.2f} missed={missed} "
      f"heartbeat_p99_ms={p(beats, 0.99):.1f} "
      f"gc_rss_kib_per_satellite={(int(rss) - int(base)) / int(n):.2f} registration_s={registration}")
PY
}
