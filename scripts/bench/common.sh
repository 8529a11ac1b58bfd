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
  SATELLITE=${BENCH_PRODUCTS:-$(scripts/release-build.sh)}/satellite
  WORK=$(mktemp -d "/tmp/bench-$name.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }
