# Shared by the benchmark scripts: sourced, not run.
# bench_setup NAME PACKAGE... : installs missing Debian packages (given as command:package),
# builds the release satellite into $SATELLITE, and makes $WORK, cleaned up with every PID in
# $PIDS on exit.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

bench_setup() {
  local name=$1; shift
  local need=() pair
  export PATH="$PATH:/usr/sbin"
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # What ships: the release build package.sh uses (or BENCH_PRODUCTS, a directory holding it).
  # Benches of Ground Control alone set BENCH_WITHOUT_SATELLITE and skip that build.
  if [ -z "${BENCH_WITHOUT_SATELLITE:-}" ]; then
    SATELLITE=${BENCH_PRODUCTS:-$(scripts/release-build.sh)}/satellite
  fi
  WORK=$(mktemp -d "/tmp/bench-$name.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_http URL [CURL-ARGS...]: until URL answers.
wait_http() { for _ in $(seq 1 300); do curl -s -o /dev/null "${@:2}" "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

now() { python3 -c 'import time; print(time.time())'; }
elapsed() { python3 -c "print('%.2f' % ($(now) - $1))"; } # START -> seconds since, two decimals

# start_registry NAME: Debian's docker-registry on a free port, no auth, its data and access log
# under $WORK/NAME; sets PORT_<NAME> and PID_<NAME>.
start_registry() {
  local name=$1 port pid; port=$(free_port)
  mkdir -p "$WORK/$name"
  printf 'version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp: {addr: 127.0.0.1:%s}\n' "$WORK/$name/data" "$port" > "$WORK/$name/config.yml"
  docker-registry serve "$WORK/$name/config.yml" > "$WORK/$name/access.log" 2>/dev/null &
  pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/v2/"
  eval "PORT_$name=$port PID_$name=$pid"
}

# start_upstream: the registry named upstream ($UP_PORT, $UP_PID), its access log in
# $WORK/upstream/access.log for upstream_blob_bytes.
start_upstream() {
  start_registry upstream
  UP_PORT=$PORT_upstream UP_PID=$PID_upstream
}
# Bytes of blob bodies the upstream has sent so far (its access log gives each response's size).
upstream_blob_bytes() {
  python3 -c '
import re, sys
total = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"\"GET /v2/[^ ]*/blobs/[^ ]* HTTP/1.1\" 20[06] (\d+)", line)
    if m: total += int(m.group(1))
print(total)' "$WORK/upstream/access.log"
}
