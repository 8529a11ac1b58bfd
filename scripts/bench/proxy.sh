#!/usr/bin/env bash
# Pull-through benchmarks: `satellite run` with proxy rules against Debian's docker-registry in
# proxy mode (`proxy: remoteurl:`), both in front of the same docker-registry upstream, in one
# run, printing ratios. Not a test.
#
#   [RUNS=3] [LINK_RATE=25000000] scripts/bench/proxy.sh [IMAGE_MIB] [LINK_IMAGE_MIB]
#                                                   (defaults 500 and 100: two layers of half each)
#
# Measures, with scripts/bench/pull.py as the client (manifest, then three blobs at a time):
#   cold  a first pull through an empty cache, against a pull straight from the upstream, over
#         loopback (where the machine's CPU is the limit) and over a link of LINK_RATE bytes/s
#         per connection (scripts/testing/link-relay.py; where the link is, as at a site);
#   warm  the same pull again, served from the cache;
#   crowd 20 pulls at once through an empty cache: bytes the upstream sent / the image's bytes;
#   proxy a warm pull through the satellite's HTTPS proxy (CONNECT, TLS terminated with the site
#         CA, served from its store) against the same pull through its registry mirror (plain
#         HTTP: the cost of TLS) and through a plain CONNECT tunnel to the upstream (TLS end to
#         end, the upstream in a network namespace: needs root);
#   rss   the satellite's peak resident memory over the whole run.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE_MIB=${1:-500}
LINK_IMAGE_MIB=${2:-100}
RUNS=${RUNS:-3}
LINK_RATE=${LINK_RATE:-25000000}

. scripts/bench/common.sh
bench_setup proxy docker-registry:docker-registry skopeo:skopeo curl:curl openssl:openssl ip:iproute2
median() { python3 -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
pull() { python3 scripts/bench/pull.py "$1" "$2" "$3" | cut -d' ' -f1; }
# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# pull_cpu PID HOST:PORT: the pull's seconds, and the CPU seconds PID spent meanwhile, as "S/C".
pull_cpu() {
  local before seconds
  before=$(cpu_seconds "$1")
  seconds=$(pull "$2" bench/app v1)
  echo "$seconds/$(python3 -c "print('%.2f' % ($(cpu_seconds "$1") - $before))")"
}

start_upstream

echo "== making a ${IMAGE_MIB} MiB image (two layers) and pushing it upstream"
python3 scripts/bench/make-images.py "$WORK/layout" 1 1 $((IMAGE_MIB / 2)) $((IMAGE_MIB / 2))
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/layout:r0-t0" "docker://127.0.0.1:$UP_PORT/bench/app:v1"
IMAGE_BYTES=$(python3 scripts/bench/pull.py "127.0.0.1:$UP_PORT" bench/app v1 | cut -d' ' -f2)
python3 scripts/bench/make-images.py "$WORK/small" 1 1 $((LINK_IMAGE_MIB / 2)) $((LINK_IMAGE_MIB / 2))
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/small:r0-t0" "docker://127.0.0.1:$UP_PORT/bench/small:v1"

SAT_PID=""
RSS_LOG=()
start_satellite() { # [UPSTREAM_PORT]: a fresh cache each time
  local upstream=${1:-$UP_PORT}
  stop_satellite
  SAT_PORT=$(free_port)
  rm -rf "$WORK/satellite"; mkdir -p "$WORK/satellite"
  printf 'schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: central\n    url: http://127.0.0.1:%s\nartifacts: []\nproxy:\n  - upstream: central\n    repositories: ["**"]\n' "$upstream" > "$WORK/satellite/state.yaml"
  "$SATELLITE" run --data-dir "$WORK/satellite/data" --state-file "$WORK/satellite/state.yaml" --listen "127.0.0.1:$SAT_PORT" --log-level error >/dev/null 2>&1 &
  SAT_PID=$!; PIDS+=("$SAT_PID")
  wait_http "http://127.0.0.1:$SAT_PORT/v2/"
}
stop_satellite() {
  if [ -n "$SAT_PID" ]; then
    SAT_RSS=$(( $(awk '/VmHWM/ {print $2}' "/proc/$SAT_PID/status") ))
    PEAK_RSS_KIB=$(( SAT_RSS > ${PEAK_RSS_KIB:-0} ? SAT_RSS : ${PEAK_RSS_KIB:-0} ))
    RSS_LOG+=("$((SAT_RSS / 1024))")
    kill "$SAT_PID"; wait "$SAT_PID" 2>/dev/null || true; SAT_PID=""
  fi
}
DR_PID=""
start_proxy_registry() { # [UPSTREAM_PORT]: docker-registry in proxy mode, a fresh cache each time
  local upstream=${1:-$UP_PORT}
  stop_proxy_registry
  DR_PORT=$(free_port)
  rm -rf "$WORK/dr"; mkdir -p "$WORK/dr"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp: {addr: 127.0.0.1:%s}\nproxy: {remoteurl: "http://127.0.0.1:%s"}\n' "$WORK/dr/data" "$DR_PORT" "$upstream" > "$WORK/dr/config.yml"
  docker-registry serve "$WORK/dr/config.yml" >/dev/null 2>&1 &
  DR_PID=$!; PIDS+=("$DR_PID")
  wait_http "http://127.0.0.1:$DR_PORT/v2/"
}
stop_proxy_registry() { if [ -n "$DR_PID" ]; then kill "$DR_PID"; wait "$DR_PID" 2>/dev/null || true; DR_PID=""; fi; }

echo "== cold and warm pulls, $RUNS runs each, median"
direct=(); direct_cpu=(); sat_cold=(); sat_warm=(); dr_cold=(); dr_warm=()
for _ in $(seq 1 "$RUNS"); do
  up_before=$(cpu_seconds "$UP_PID")
  read -r seconds _ client_cpu < <(python3 scripts/bench/pull.py "127.0.0.1:$UP_PORT" bench/app v1)
  direct+=("$seconds")
  direct_cpu+=("$(python3 -c "print('%.3f' % ($(cpu_seconds "$UP_PID") - $up_before + $client_cpu))")")
  start_satellite
  sat_cold+=("$(pull_cpu "$SAT_PID" "127.0.0.1:$SAT_PORT")")
  sat_warm+=("$(pull_cpu "$SAT_PID" "127.0.0.1:$SAT_PORT")")
  start_proxy_registry
  dr_cold+=("$(pull_cpu "$DR_PID" "127.0.0.1:$DR_PORT")")
  dr_warm+=("$(pull_cpu "$DR_PID" "127.0.0.1:$DR_PORT")")
done
seconds_of() { for x in "$@"; do echo "${x%/*}"; done; }
DIRECT=$(median "${direct[@]}")
SAT_COLD=$(median $(seconds_of "${sat_cold[@]}")); SAT_WARM=$(median $(seconds_of "${sat_warm[@]}"))
DR_COLD=$(median $(seconds_of "${dr_cold[@]}")); DR_WARM=$(median $(seconds_of "${dr_warm[@]}"))
echo "direct from the upstream: ${DIRECT}s   (${direct[*]}; upstream + client CPU seconds: ${direct_cpu[*]})"
# What any proxy that verifies digests adds at the least: SHA-256 over the image, on this CPU.
HASH_CPU=$(python3 -c '
import glob, hashlib, os, sys, time
hashing = 0.0
for path in glob.glob(os.path.join(sys.argv[1], "blobs/sha256/*")):
    digest = hashlib.sha256()
    with open(path, "rb") as blob:
        while chunk := blob.read(1 << 20):
            started = time.process_time()
            digest.update(chunk)
            hashing += time.process_time() - started
print("%.3f" % hashing)' "$WORK/layout")
CORES=$(nproc)
# The floor: the direct pull's CPU plus the hash, spread over every core, as a multiple of direct.
FLOOR=$(python3 -c "print('%.2f' % (($(median "${direct_cpu[@]}") + $HASH_CPU) / $CORES / $DIRECT))")
echo "SHA-256 of the image: ${HASH_CPU} CPU s; $CORES cores"
echo "satellite cold: ${SAT_COLD}s   warm: ${SAT_WARM}s   (seconds/its CPU seconds: cold ${sat_cold[*]}; warm ${sat_warm[*]})"
echo "docker-registry proxy cold: ${DR_COLD}s   warm: ${DR_WARM}s   (cold ${dr_cold[*]}; warm ${dr_warm[*]})"

echo "== cold pulls of a ${LINK_IMAGE_MIB} MiB image over a link of $LINK_RATE bytes/s per connection"
python3 scripts/testing/link-relay.py "$UP_PORT" --rate "$LINK_RATE" > "$WORK/relay.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^port ' "$WORK/relay.log" 2>/dev/null && break; sleep 0.1; done
RELAY_PORT=$(awk '/^port / {print $2; exit}' "$WORK/relay.log")
link_direct=(); link_sat=(); link_dr=()
for _ in $(seq 1 "$RUNS"); do
  link_direct+=("$(pull "127.0.0.1:$RELAY_PORT" bench/small v1)")
  start_satellite "$RELAY_PORT"
  link_sat+=("$(pull "127.0.0.1:$SAT_PORT" bench/small v1)")
  start_proxy_registry "$RELAY_PORT"
  link_dr+=("$(pull "127.0.0.1:$DR_PORT" bench/small v1)")
done
LINK_DIRECT=$(median "${link_direct[@]}"); LINK_SAT=$(median "${link_sat[@]}"); LINK_DR=$(median "${link_dr[@]}")
echo "direct over the link: ${LINK_DIRECT}s (${link_direct[*]})   satellite cold: ${LINK_SAT}s (${link_sat[*]})   docker-registry proxy cold: ${LINK_DR}s (${link_dr[*]})"

echo "== 20 pulls at once through an empty cache"
crowd() { # HOST:PORT -> seconds for all 20; upstream blob bytes / image bytes
  local before after start
  before=$(upstream_blob_bytes)
  start=$(date +%s.%N)
  for _ in $(seq 1 20); do python3 scripts/bench/pull.py "$1" bench/app v1 >/dev/null & done
  wait_children
  after=$(upstream_blob_bytes)
  echo "$(python3 -c "print('%.2f' % ($(date +%s.%N) - $start))") $(python3 -c "print('%.2f' % (($after - $before) / $IMAGE_BYTES))")"
}
wait_children() { for job in $(jobs -p); do case " ${PIDS[*]} " in *" $job "*) ;; *) wait "$job" ;; esac; done; }
start_satellite
read -r SAT_CROWD_S SAT_CROWD_X < <(crowd "127.0.0.1:$SAT_PORT")
start_proxy_registry
read -r DR_CROWD_S DR_CROWD_X < <(crowd "127.0.0.1:$DR_PORT")
stop_satellite; stop_proxy_registry

echo "== the proxy way (HTTPS_PROXY): warm pulls of the ${IMAGE_MIB} MiB image under TLS, $RUNS runs each, median"
# The upstream again, under TLS at a non-loopback address (a network namespace's end of a veth
# pair): the satellite never tunnels to this machine. The same storage, so the same image.
NS=satbench-$$
ip netns add "$NS"
trap 'ip link del "sbn$$" 2>/dev/null; ip netns del "$NS" 2>/dev/null; bench_cleanup' EXIT
ip link add "sbn$$" type veth peer name "sbf$$"
ip link set "sbf$$" netns "$NS"
ip addr add 10.239.0.1/30 dev "sbn$$"; ip link set "sbn$$" up
ip netns exec "$NS" ip addr add 10.239.0.2/30 dev "sbf$$"
ip netns exec "$NS" ip link set "sbf$$" up; ip netns exec "$NS" ip link set lo up
FAR=10.239.0.2:5443
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=10.239.0.2 -addext subjectAltName=IP:10.239.0.2 \
  -keyout "$WORK/far-key.pem" -out "$WORK/far-cert.pem" 2>/dev/null
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp: {addr: "%s", tls: {certificate: %s, key: %s}}\n' \
  "$WORK/upstream/data" "$FAR" "$WORK/far-cert.pem" "$WORK/far-key.pem" > "$WORK/far.yml"
ip netns exec "$NS" docker-registry serve "$WORK/far.yml" >/dev/null 2>&1 &
PIDS+=($!)
wait_http "https://$FAR/v2/" --cacert "$WORK/far-cert.pem"
# proxy_satellite NAME STATE [ARGS...]: a satellite with its proxy; sets its ports and PID.
proxy_satellite() {
  local name=$1 state=$2; shift 2
  mkdir -p "$WORK/$name"
  printf '%b' "$state" > "$WORK/$name/state.yaml"
  "$SATELLITE" run --data-dir "$WORK/$name/data" --state-file "$WORK/$name/state.yaml" --listen 127.0.0.1:0 \
    --http-proxy-listen 127.0.0.1:0 --log-level error "$@" > "$WORK/$name/out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do grep -q "HTTPS proxy at" "$WORK/$name/out" && grep -q "serving http" "$WORK/$name/out" && break; sleep 0.05; done
  eval "PROXY_$name=$(grep -o 'HTTPS proxy at http://[^ ]*' "$WORK/$name/out" | grep -o '[0-9]*$')"
  eval "REGISTRY_$name=$(grep -o 'serving http://[^ ]*' "$WORK/$name/out" | grep -o '[0-9]*$')"
}
# The satellite serving the far registry under its site CA, and one that only tunnels to it.
proxy_satellite served "schemaVersion: 1\ngeneration: 1\nupstreams:\n  - {name: central, url: \"https://$FAR\", caFile: \"$WORK/far-cert.pem\"}\nartifacts: []\nproxy:\n  - {upstream: central, repositories: [\"**\"]}\n"
proxy_satellite tunnel "schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\n" --proxy-pass "$FAR"
"$SATELLITE" proxy-ca export --data-dir "$WORK/served/data" > "$WORK/site-ca.pem"
python3 scripts/bench/pull.py --proxy "127.0.0.1:$PROXY_served" --cafile "$WORK/site-ca.pem" "$FAR" bench/app v1 >/dev/null
via_proxy=(); via_mirror=(); via_tunnel=()
for _ in $(seq 1 "$RUNS"); do
  via_proxy+=("$(python3 scripts/bench/pull.py --proxy "127.0.0.1:$PROXY_served" --cafile "$WORK/site-ca.pem" "$FAR" bench/app v1 | cut -d' ' -f1)")
  via_mirror+=("$(pull "127.0.0.1:$REGISTRY_served" central/bench/app v1)")
  via_tunnel+=("$(python3 scripts/bench/pull.py --proxy "127.0.0.1:$PROXY_tunnel" --cafile "$WORK/far-cert.pem" "$FAR" bench/app v1 | cut -d' ' -f1)")
done
VIA_PROXY=$(median "${via_proxy[@]}"); VIA_MIRROR=$(median "${via_mirror[@]}"); VIA_TUNNEL=$(median "${via_tunnel[@]}")
echo "through HTTPS_PROXY, served: ${VIA_PROXY}s (${via_proxy[*]})   the registry mirror, plain HTTP: ${VIA_MIRROR}s (${via_mirror[*]})   a CONNECT tunnel to the upstream: ${VIA_TUNNEL}s (${via_tunnel[*]})"

echo
echo "RESULTS (image $((IMAGE_BYTES / 1048576)) MiB, medians of $RUNS)"
echo "cold pull over the link, satellite / direct: $(ratio "$LINK_SAT" "$LINK_DIRECT")x   (target <= 1.1; docker-registry proxy: $(ratio "$LINK_DR" "$LINK_DIRECT")x)"
echo "cold pull over loopback, satellite / direct: $(ratio "$SAT_COLD" "$DIRECT")x   (docker-registry proxy: $(ratio "$DR_COLD" "$DIRECT")x; CPU-bound here: no verifying proxy can beat ${FLOOR}x on $CORES cores, the direct pull's CPU plus SHA-256 of the image)"
echo "warm pull, docker-registry / satellite: $(ratio "$DR_WARM" "$SAT_WARM")x   (target >= 1.2)"
echo "20 cold pulls at once, upstream bytes / image: satellite ${SAT_CROWD_X}x in ${SAT_CROWD_S}s, docker-registry ${DR_CROWD_X}x in ${DR_CROWD_S}s   (target 1.0)"
echo "warm pull through HTTPS_PROXY / through the registry mirror: $(ratio "$VIA_PROXY" "$VIA_MIRROR")x   (what terminating TLS costs)"
echo "warm pull through HTTPS_PROXY, a CONNECT tunnel to the upstream / served by the satellite: $(ratio "$VIA_TUNNEL" "$VIA_PROXY")x"
echo "satellite peak RSS: $((PEAK_RSS_KIB / 1024)) MiB   (target < 100; per instance, cold+warm runs then the crowd: ${RSS_LOG[*]} MiB)"
