#!/usr/bin/env bash
# Registry benchmarks: the satellite against Debian's docker-registry (distribution 2.8) and
# nginx (sendfile) on this machine, in one run, printing ratios. Not a test.
#
#   [RUNS=7] [PARTS="put get manifest rss"] scripts/bench/registry.sh [SIZE_MIB]   (default 1024)
#
# Measures (PARTS picks a subset): monolithic blob PUT time (put), blob GET throughput (get),
# manifest GET rate at 50 connections with wrk (manifest), and the satellite's peak RSS while
# streaming blobs in and out, small vs large blob (rss).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MIB=${1:-1024}
RUNS=${RUNS:-3}
PARTS=${PARTS:-put get manifest rss}
part() { [[ " $PARTS " == *" $1 "* ]]; }

. scripts/bench/common.sh
bench_setup registry docker-registry:docker-registry nginx:nginx-light wrk:wrk curl:curl
# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
rss_peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

start_satellite() {
  SAT_PORT=$(free_port)
  rm -rf "$WORK/satellite"
  "$SATELLITE" serve --data-dir "$WORK/satellite" --listen "127.0.0.1:$SAT_PORT" --log-level error >/dev/null 2>&1 &
  SAT_PID=$!; PIDS+=("$SAT_PID")
  wait_http "http://127.0.0.1:$SAT_PORT/v2/"
}

DR_PORT=$(free_port)
mkdir -p "$WORK/dr"
cat > "$WORK/dr.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $WORK/dr}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$DR_PORT}
YML
docker-registry serve "$WORK/dr.yml" >/dev/null 2>&1 &
DR_PID=$!; PIDS+=("$DR_PID")
wait_http "http://127.0.0.1:$DR_PORT/v2/"

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
cat > "$WORK/nginx.conf" <<NGX
worker_processes 1;
daemon off;
master_process off;
user root;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/nginx/www; }
}
NGX
nginx -c "$WORK/nginx.conf" >/dev/null 2>&1 &
NGX_PID=$!; PIDS+=("$NGX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/"

start_satellite

echo "== making a ${SIZE_MIB} MiB random blob"
BLOB="$WORK/nginx/www/blob"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$BLOB"
DIGEST="sha256:$(sha256sum "$BLOB" | cut -d' ' -f1)"
SMALL="$WORK/small"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$SMALL"
SMALL_DIGEST="sha256:$(sha256sum "$SMALL" | cut -d' ' -f1)"

# push BASE REPO FILE DIGEST -> prints seconds of the monolithic PUT
push() {
  local base=$1 repo=$2 file=$3 digest=$4 location sep
  location=$(curl -sf -D - -o /dev/null -X POST "$base/v2/$repo/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}')
  case "$location" in http*) ;; *) location="$base$location" ;; esac
  case "$location" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -o /dev/null -w '%{time_total}\n' -X PUT -H 'Content-Type: application/octet-stream' -T "$file" "$location${sep}digest=$digest"
}
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
put_once() { curl -s -o /dev/null -X DELETE "$1/v2/$2/blobs/$4" || true; push "$@"; }
get_once() { curl -sf -o /dev/null -w '%{speed_download}' "$1"; }
mib() { python3 -c "print(f'{float($1)/1048576:.0f}')"; }
ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }

GIB_MOVED=$(python3 -c "print($RUNS * $SIZE_MIB / 1024)")
if part put; then
echo "== monolithic PUT of ${SIZE_MIB} MiB (median of $RUNS interleaved rounds)"
sat_cpu=0; dr_cpu=0; sat_times=(); dr_times=()
# `sync` before each push: docker-registry does not fsync, and the disk flushing its last gigabyte
# would otherwise slow whichever push came next.
for _ in $(seq 1 "$RUNS"); do
  sync
  b=$(cpu_seconds "$SAT_PID"); sat_times+=("$(put_once "http://127.0.0.1:$SAT_PORT" bench/blob "$BLOB" "$DIGEST")"); sat_cpu=$(python3 -c "print($sat_cpu + $(cpu_seconds "$SAT_PID") - $b)")
  sync
  b=$(cpu_seconds "$DR_PID"); dr_times+=("$(put_once "http://127.0.0.1:$DR_PORT" bench/blob "$BLOB" "$DIGEST")"); dr_cpu=$(python3 -c "print($dr_cpu + $(cpu_seconds "$DR_PID") - $b)")
done
SAT_PUT=$(median "${sat_times[@]}"); DR_PUT=$(median "${dr_times[@]}")
SAT_PUT_CPU=$(python3 -c "print('%.2f' % ($sat_cpu / $GIB_MOVED))"); DR_PUT_CPU=$(python3 -c "print('%.2f' % ($dr_cpu / $GIB_MOVED))")
echo "satellite ${SAT_PUT}s (${SAT_PUT_CPU} CPU s/GiB)  docker-registry ${DR_PUT}s (${DR_PUT_CPU} CPU s/GiB)  speed ratio $(ratio "$DR_PUT" "$SAT_PUT")x  CPU ratio $(ratio "$DR_PUT_CPU" "$SAT_PUT_CPU")x"
else
  # The other parts read the blob from both registries.
  push "http://127.0.0.1:$SAT_PORT" bench/blob "$BLOB" "$DIGEST" >/dev/null
  push "http://127.0.0.1:$DR_PORT" bench/blob "$BLOB" "$DIGEST" >/dev/null
fi

if part get; then
echo "== blob GET of ${SIZE_MIB} MiB (median of $RUNS interleaved rounds)"
sat_cpu=0; dr_cpu=0; ngx_cpu=0; sat_speeds=(); dr_speeds=(); ngx_speeds=()
for _ in $(seq 1 "$RUNS"); do
  b=$(cpu_seconds "$SAT_PID"); sat_speeds+=("$(get_once "http://127.0.0.1:$SAT_PORT/v2/bench/blob/blobs/$DIGEST")"); sat_cpu=$(python3 -c "print($sat_cpu + $(cpu_seconds "$SAT_PID") - $b)")
  b=$(cpu_seconds "$DR_PID"); dr_speeds+=("$(get_once "http://127.0.0.1:$DR_PORT/v2/bench/blob/blobs/$DIGEST")"); dr_cpu=$(python3 -c "print($dr_cpu + $(cpu_seconds "$DR_PID") - $b)")
  b=$(cpu_seconds "$NGX_PID"); ngx_speeds+=("$(get_once "http://127.0.0.1:$NGINX_PORT/blob")"); ngx_cpu=$(python3 -c "print($ngx_cpu + $(cpu_seconds "$NGX_PID") - $b)")
done
SAT_GET=$(median "${sat_speeds[@]}"); DR_GET=$(median "${dr_speeds[@]}"); NGX_GET=$(median "${ngx_speeds[@]}")
SAT_GET_CPU=$(python3 -c "print('%.2f' % ($sat_cpu / $GIB_MOVED))"); DR_GET_CPU=$(python3 -c "print('%.2f' % ($dr_cpu / $GIB_MOVED))"); NGX_GET_CPU=$(python3 -c "print('%.2f' % ($ngx_cpu / $GIB_MOVED))")
echo "satellite $(mib "$SAT_GET") MiB/s (${SAT_GET_CPU} CPU s/GiB)  docker-registry $(mib "$DR_GET") MiB/s (${DR_GET_CPU})  nginx $(mib "$NGX_GET") MiB/s (${NGX_GET_CPU})"
echo "throughput ratio vs docker-registry $(ratio "$SAT_GET" "$DR_GET")x  vs nginx $(ratio "$SAT_GET" "$NGX_GET")x;  CPU efficiency vs docker-registry $(ratio "$DR_GET_CPU" "$SAT_GET_CPU")x  vs nginx $(ratio "$NGX_GET_CPU" "$SAT_GET_CPU")x"
fi

if part manifest; then
echo "== manifest GET rate, 50 connections, 10 s (wrk)"
CONFIG='{"architecture":"amd64","os":"linux"}'
CONFIG_DIGEST="sha256:$(printf '%s' "$CONFIG" | sha256sum | cut -d' ' -f1)"
MANIFEST="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$CONFIG_DIGEST\",\"size\":${#CONFIG}},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"$DIGEST\",\"size\":$((SIZE_MIB * 1024 * 1024))}]}"
printf '%s' "$CONFIG" > "$WORK/config.json"
for base in "http://127.0.0.1:$SAT_PORT" "http://127.0.0.1:$DR_PORT"; do
  push "$base" bench/blob "$WORK/config.json" "$CONFIG_DIGEST" >/dev/null
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$MANIFEST" "$base/v2/bench/blob/manifests/latest"
done
rate() { wrk -t2 -c50 -d10s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$1" | awk '/Requests\/sec/ {print $2}'; }
SAT_RATE=$(rate "http://127.0.0.1:$SAT_PORT/v2/bench/blob/manifests/latest")
DR_RATE=$(rate "http://127.0.0.1:$DR_PORT/v2/bench/blob/manifests/latest")
echo "satellite ${SAT_RATE} req/s  docker-registry ${DR_RATE} req/s  ratio $(ratio "$SAT_RATE" "$DR_RATE")x"
fi

if part rss; then
echo "== satellite peak RSS streaming blobs in and out (fresh process per size)"
start_satellite
push "http://127.0.0.1:$SAT_PORT" bench/small "$SMALL" "$SMALL_DIGEST" >/dev/null
curl -sf -o /dev/null "http://127.0.0.1:$SAT_PORT/v2/bench/small/blobs/$SMALL_DIGEST"
SMALL_RSS=$(rss_peak_kib "$SAT_PID")
start_satellite
push "http://127.0.0.1:$SAT_PORT" bench/blob "$BLOB" "$DIGEST" >/dev/null
curl -sf -o /dev/null "http://127.0.0.1:$SAT_PORT/v2/bench/blob/blobs/$DIGEST"
LARGE_RSS=$(rss_peak_kib "$SAT_PID")
echo "64 MiB blob: $((SMALL_RSS / 1024)) MiB peak RSS   ${SIZE_MIB} MiB blob: $((LARGE_RSS / 1024)) MiB peak RSS"
fi

echo
echo "| measure | satellite | docker-registry | nginx | ratio |"
echo "| --- | --- | --- | --- | --- |"
if part get; then
echo "| blob GET ${SIZE_MIB} MiB (MiB/s, median of $RUNS) | $(mib "$SAT_GET") | $(mib "$DR_GET") | $(mib "$NGX_GET") | $(ratio "$SAT_GET" "$DR_GET")x dr, $(ratio "$SAT_GET" "$NGX_GET")x nginx |"
echo "| blob GET server CPU (s/GiB) | $SAT_GET_CPU | $DR_GET_CPU | $NGX_GET_CPU | $(ratio "$DR_GET_CPU" "$SAT_GET_CPU")x dr, $(ratio "$NGX_GET_CPU" "$SAT_GET_CPU")x nginx |"
fi
if part manifest; then
echo "| manifest GET, 50 conns (req/s) | $SAT_RATE | $DR_RATE | — | $(ratio "$SAT_RATE" "$DR_RATE")x |"
fi
if part put; then
echo "| blob PUT ${SIZE_MIB} MiB (s, median of $RUNS) | $SAT_PUT | $DR_PUT | — | $(ratio "$DR_PUT" "$SAT_PUT")x |"
echo "| blob PUT server CPU (s/GiB) | $SAT_PUT_CPU | $DR_PUT_CPU | — | $(ratio "$DR_PUT_CPU" "$SAT_PUT_CPU")x |"
fi
if part rss; then
echo "| peak RSS, 64 MiB vs ${SIZE_MIB} MiB in+out (MiB) | $((SMALL_RSS / 1024)) / $((LARGE_RSS / 1024)) | — | — | — |"
fi
