#!/usr/bin/env bash
# The whole system on one machine, offline: an upstream registry seeded with generated images,
# Ground Control on SQLite with a registry and a group, and two satellites at two sites that
# register with one-time tokens, sync, report to the fleet and serve pulls, then a second node at
# one site that fills itself from its peer, a Harbor (API stand-in) whose robots and scan gate
# Ground Control manages, and a site with no link fed a signed bundle. Runs until Ctrl-C,
# then stops everything it started and removes its temporary directory.
#
#   scripts/demo.sh            build (release) and run
#   DEMO_CHECK=1 scripts/demo.sh   set up, show, then stop at once (used by the tests)
#   DEMO_PRODUCTS=DIR          use already built programs from DIR instead of building
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "demo: $*" >&2; exit 1; }
for tool in python3 curl; do
  command -v "$tool" >/dev/null || fail "$tool is needed: install it (Debian: apt-get install $tool)"
done

if [ -n "${DEMO_PRODUCTS:-}" ]; then
  BIN=$DEMO_PRODUCTS
else
  echo "== building satellite, ground-control and satctl (release; the first build takes a while)"
  BIN=$(scripts/release-build.sh)
fi
for program in satellite ground-control satctl; do
  [ -x "$BIN/$program" ] || fail "$BIN/$program is missing: build failed?"
done

WORK=$(mktemp -d /tmp/satellite-demo.XXXXXX)
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "== stopping the demo"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  exit 0
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # URL WHAT
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  fail "$2 did not start; its log: $(ls "$WORK"/*.log | tr '\n' ' ')"
}

# The port a program started with --listen 127.0.0.1:0 took, from the line it prints once it
# listens: a port looked up beforehand may be taken by another program before it binds it.
announced_port() { # LOG LABEL WHAT: the port in the program's "NAME: LABEL http(s)://127.0.0.1:PORT" line
  for _ in $(seq 1 200); do
    port=$(sed -n "s/^[a-z-]*: $2 https\{0,1\}:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*$/\1/p" "$1" | head -1)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.1
  done
  fail "$3 did not start; its log: $1"
}

"$BIN/satellite" serve --data-dir "$WORK/upstream" --listen "127.0.0.1:0" --log-level warning >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
UPSTREAM_PORT=$(announced_port "$WORK/upstream.log" serving "the upstream registry")
echo "== upstream registry (satellite serve) on 127.0.0.1:$UPSTREAM_PORT"
python3 scripts/demo/seed-images.py "http://127.0.0.1:$UPSTREAM_PORT"

SATCTL_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
export SATCTL_TOKEN
GROUND_CONTROL_ADMIN_TOKEN=$SATCTL_TOKEN "$BIN/ground-control" serve --listen "127.0.0.1:0" \
  --database "sqlite:$WORK/ground-control.sqlite" --resolve-interval 5 --log-level warning >"$WORK/ground-control.log" 2>&1 &
GC_PID=$!
PIDS+=($GC_PID)
GC_PORT=$(announced_port "$WORK/ground-control.log" serving "Ground Control")
export SATCTL_URL="http://127.0.0.1:$GC_PORT"
echo "== Ground Control (SQLite) on $SATCTL_URL"
wait_for "$SATCTL_URL/healthz" "Ground Control"

# A person for the dashboard; the password stays in an owner-only file.
( umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(12))' >"$WORK/demo.password" )
"$BIN/satctl" users put demo --role operator --password-file "$WORK/demo.password" >/dev/null

echo "== the fleet: registry 'central', group 'edge' (two images listed, demo/* pulled through), two satellites at two sites"
"$BIN/satctl" registries put central --registry-url "http://127.0.0.1:$UPSTREAM_PORT" >/dev/null
"$BIN/satctl" groups put edge --registry central --artifact demo/hello:1 --artifact demo/web:1.0 \
  --proxy-allow 'demo/*' --proxy-tag-ttl 60 >/dev/null
declare -A SAT_PORT
# store-a is also an HTTPS proxy for devices, and a Kubernetes admission webhook (TLS, with a
# certificate openssl makes here).
proxy_flags=(--http-proxy-listen 127.0.0.1:0)
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/webhook.key" -out "$WORK/webhook.crt" 2>/dev/null
  proxy_flags+=(--admission-listen 127.0.0.1:0 --admission-tls-cert "$WORK/webhook.crt" --admission-tls-key "$WORK/webhook.key")
fi
for site in a b; do
  name="store-$site"
  token=$("$BIN/satctl" satellites create "$name" --group edge --label "site=$site" --output json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  port=$(free_port)
  SAT_PORT[$site]=$port
  extra=()
  if [ "$site" = a ]; then extra=("${proxy_flags[@]}"); fi
  echo "   $name (site=$site) registers with its one-time token and serves 127.0.0.1:$port"
  SATELLITE_TOKEN=$token "$BIN/satellite" run --data-dir "$WORK/$name" --listen "127.0.0.1:$port" \
    --advertise "http://127.0.0.1:$port" --ground-control "$SATCTL_URL" --cache-max-bytes 1G --log-level info \
    "${extra[@]}" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
done

wait_synced() { # NAME: until its last sync brought every artifact in line
  for _ in $(seq 1 600); do
    if "$BIN/satellite" status --data-dir "$WORK/$1" --output json 2>/dev/null \
      | python3 -c 'import json, sys; s = json.load(sys.stdin)["lastSync"]; sys.exit(0 if s and s["artifacts"] and all(a["outcome"] == "synced" for a in s["artifacts"]) else 1)' 2>/dev/null; then
      return
    fi
    sleep 0.1
  done
}
echo "== syncing"
for site in a b; do
  name="store-$site"
  wait_synced "$name"
  "$BIN/satellite" status --data-dir "$WORK/$name" | sed -n 1p | sed "s/^/   $name: /"
done
# Each satellite reports the moment its sync ends: wait for the fleet view to show both in line.
for _ in $(seq 1 100); do
  "$BIN/satctl" satellites list --output json | python3 -c '
import json, sys
views = json.load(sys.stdin)
sys.exit(0 if len(views) == 2 and all(v["state"] == "online" and not v["drift"]["behind"] for v in views) else 1)' && break
  sleep 0.1
done
echo
"$BIN/satctl" satellites list
echo

echo "== identity: each satellite made its own key at first start; Ground Control's authority certified it (docs/identity.md)"
if command -v openssl >/dev/null; then
  openssl x509 -in "$WORK/store-a/identity.pem" -noout -ext subjectAltName -enddate | grep -v 'X509v3' | sed 's/^ */   store-a: /'
fi
echo "   (key and certificate in $WORK/store-a/identity.pem, owner-only; on HTTPS, ground-control serve"
echo "    --satellite-auth mtls takes satellites by these certificates only)"
echo
echo "== HTTPS for devices without managing certificates: store-c asks Ground Control's authority for one (--tls-from-ground-control)"
token=$("$BIN/satctl" satellites create store-c --output json | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
C=$(free_port)
SATELLITE_TOKEN=$token "$BIN/satellite" run --data-dir "$WORK/store-c" --listen "127.0.0.1:$C" \
  --advertise "https://127.0.0.1:$C" --tls-from-ground-control --ground-control "$SATCTL_URL" --log-level info >"$WORK/store-c.log" 2>&1 &
PIDS+=($!)
https_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$WORK/store-c/trust-bundle.pem" "https://127.0.0.1:$C/v2/" 2>/dev/null; }
for _ in $(seq 1 100); do [ "$(https_status)" = 200 ] && break; sleep 0.1; done
echo "   https://127.0.0.1:$C/v2/ answers $(https_status), trusting $WORK/store-c/trust-bundle.pem (Ground Control's authority)"
if command -v openssl >/dev/null; then
  openssl x509 -in "$WORK/store-c/serving.pem" -noout -ext subjectAltName | grep -v 'X509v3' | sed 's/^ */   store-c serves as: /'
fi
echo "   (renewed two thirds into its life; --configure-runtime makes the node's runtimes trust that bundle)"
echo

A=${SAT_PORT[a]}
echo "== pull-through: demo/tools:1 is in no list, but the group's rules allow demo/* (docs/pull-through.md)"
accept='Accept: application/vnd.oci.image.manifest.v1+json'
first=$(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' -H "$accept" "http://127.0.0.1:$A/v2/demo/tools/manifests/1")
again=$(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' -H "$accept" "http://127.0.0.1:$A/v2/demo/tools/manifests/1")
denied=$(curl -s -H "$accept" "http://127.0.0.1:$A/v2/central/other/app/manifests/1")
echo "   first pull from store-a: $first (fetched from the upstream and kept); again: $again (from disk)"
echo "   outside the rules: $denied"
curl -s "http://127.0.0.1:$A/metrics" | grep -E '^satellite_pull_through_(hits|misses|denied)_total' | sed 's/^/   /'
echo

PROXY=$(announced_port "$WORK/store-a.log" "HTTPS proxy at" "store-a's proxy")
echo "== the proxy way: a device that knows only HTTPS_PROXY=http://127.0.0.1:$PROXY pulls through store-a (docs/runtimes.md)"
"$BIN/satellite" proxy-ca export --data-dir "$WORK/store-a" > "$WORK/proxy-ca.pem"
through=$(curl -s -o /dev/null -w '%{http_code}' --proxy "http://127.0.0.1:$PROXY" \
  --cacert "$WORK/proxy-ca.pem" -H "$accept" "https://127.0.0.1:$UPSTREAM_PORT/v2/demo/tools/manifests/1")
echo "   GET https://127.0.0.1:$UPSTREAM_PORT/v2/demo/tools/manifests/1 (the state's registry): $through, served by"
echo "   store-a under a certificate its site CA issued for that host (curl --cacert proxy-ca.pem verified it)"
refused=$(curl -s -o /dev/null -w '%{http_connect}' --proxy "http://127.0.0.1:$PROXY" https://example.com/ || true)
echo "   CONNECT example.com:443 (neither the state's nor in --proxy-pass): $refused"
if command -v openssl >/dev/null; then
  openssl x509 -in "$WORK/proxy-ca.pem" -noout -subject | sed 's/^/   site CA (satellite proxy-ca export): /'
fi
echo "   docker: satellite runtime configure --runtime docker --via-proxy --advertise http://127.0.0.1:$PROXY --advertise-ca $WORK/proxy-ca.pem"
echo

if command -v openssl >/dev/null; then
  HOOK=$(announced_port "$WORK/store-a.log" "admission webhook at" "store-a's webhook")
  echo "== Kubernetes: the admission webhook rewrites a pod's images store-a holds or may pull through (docs/kubernetes.md)"
  python3 - "$UPSTREAM_PORT" > "$WORK/review.json" <<'PY'
import json, sys
pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"containers": [{"name": "web", "image": f"127.0.0.1:{sys.argv[1]}/demo/web:1.0"},
                               {"name": "proxy", "image": "nginx:1.27"}]}}
print(json.dumps({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": {
    "uid": "demo-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
    "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "shop",
    "operation": "CREATE", "object": pod}}))
PY
  curl -s --cacert "$WORK/webhook.crt" -H 'Content-Type: application/json' --data @"$WORK/review.json" \
    "https://127.0.0.1:$HOOK/mutate" | python3 -c '
import base64, json, sys
answer = json.load(sys.stdin)["response"]
print("   allowed:", answer["allowed"])
for op in json.loads(base64.b64decode(answer.get("patch", "W10="))):
    print("   patch:", op["op"], op["path"], json.dumps(op.get("value")))'
  echo "   (nginx:1.27 is from Docker Hub, which the state does not mirror: left alone)"
  echo
fi

echo "== a second node at site a: store-a2 joins by its label and address, and fills from store-a, not the upstream (docs/sites.md)"
token=$("$BIN/satctl" satellites create store-a2 --group edge --label site=a --output json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
A2=$(free_port)
SATELLITE_TOKEN=$token "$BIN/satellite" run --data-dir "$WORK/store-a2" --listen "127.0.0.1:$A2" \
  --advertise "http://127.0.0.1:$A2" --ground-control "$SATCTL_URL" --log-level info >"$WORK/store-a2.log" 2>&1 &
PIDS+=($!)
wait_synced store-a2
"$BIN/satellite" status --data-dir "$WORK/store-a2" | grep '^site:' | sed 's/^/   store-a2 /'
for _ in $(seq 1 100); do
  "$BIN/satctl" sites --output json | python3 -c '
import json, sys
sys.exit(0 if any(s["name"] == "a" and s["fromPeersBytes"] > 0 for s in json.load(sys.stdin)) else 1)' && break
  sleep 0.1
done
"$BIN/satctl" sites | sed 's/^/   /'
echo

echo "== approval: the operator 'demo' enrols store-a3 at site a; it gets no site credential until an admin approves it (docs/ground-control.md)"
op_token=$(curl -s -X POST -u "demo:$(cat "$WORK/demo.password")" "$SATCTL_URL/api/v1/tokens" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
token=$(SATCTL_TOKEN=$op_token "$BIN/satctl" satellites create store-a3 --group edge --label site=a --heartbeat-interval 1 --output json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
A3=$(free_port)
SATELLITE_TOKEN=$token "$BIN/satellite" run --data-dir "$WORK/store-a3" --listen "127.0.0.1:$A3" \
  --advertise "http://127.0.0.1:$A3" --ground-control "$SATCTL_URL" --log-level info >"$WORK/store-a3.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q 'APPROVAL_REQUIRED' "$WORK/store-a3.log" && break; sleep 0.1; done
"$BIN/satctl" satellites list | grep store-a3 | sed 's/^/   before: /'
grep -o "satellite 'store-a3' was enrolled[^\"]*" "$WORK/store-a3.log" | head -1 | sed 's/^/   store-a3 is told: /'
"$BIN/satctl" satellites approve store-a3 >/dev/null
wait_synced store-a3
"$BIN/satctl" satellites list | grep store-a3 | sed 's/^/   after satctl satellites approve: /'
echo

echo "== Harbor: store-b joins a group on a Harbor, pulls with a robot of its own, and a scan gate holds back a critical image (docs/harbor.md)"
echo "   (Harbor's API is stood in by scripts/testing/harbor-standin.py in front of the upstream: Harbor needs a container engine)"
HARBOR_PORT=$(free_port)
python3 scripts/testing/harbor-standin.py "$UPSTREAM_PORT" "$WORK/harbor-state.json" "admin:Harbor12345" "$HARBOR_PORT" >"$WORK/harbor.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$HARBOR_PORT/api/v2.0/ping" "the Harbor stand-in"
(umask 077; printf 'Harbor12345' >"$WORK/harbor.password")
"$BIN/satctl" registries put harbor --kind harbor --registry-url "http://127.0.0.1:$HARBOR_PORT" --username admin \
  --password-file "$WORK/harbor.password" >/dev/null
digest_of() { # REPOSITORY TAG
  curl -s -I -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' \
    "http://127.0.0.1:$UPSTREAM_PORT/v2/$1/manifests/$2" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
curl -s -X PUT -d '{"severity": "Critical"}' "http://127.0.0.1:$HARBOR_PORT/standin/scan/demo/hello@$(digest_of demo/hello 1)" >/dev/null
curl -s -X PUT -d '{"severity": "Low"}' "http://127.0.0.1:$HARBOR_PORT/standin/scan/demo/web@$(digest_of demo/web 1.0)" >/dev/null
"$BIN/satctl" groups put harbor-edge --registry harbor --select 'demo/*;tags=1*' --max-severity high >/dev/null
"$BIN/satctl" satellites add-group store-b harbor-edge >/dev/null
for _ in $(seq 1 300); do
  "$BIN/satctl" satellites show store-b | grep -q 'robot\$' && "$BIN/satctl" groups show harbor-edge | grep -q 'held back' && break
  sleep 0.1
done
"$BIN/satctl" groups show harbor-edge | sed 's/^/   /'
"$BIN/satctl" satellites show store-b | grep -E '^(robot|held back) ' | sed 's/^/   store-b /'
for _ in $(seq 1 300); do
  "$BIN/satellite" status --data-dir "$WORK/store-b" | grep -q 'harbor/demo/web' && break
  sleep 0.1
done
"$BIN/satellite" status --data-dir "$WORK/store-b" | grep 'harbor/' | sed 's/^ */   store-b holds /'
echo

echo "== rollouts: a change to 'edge' reaches site b first, the rest once b applied it and 3 s passed (docs/rollouts.md)"
"$BIN/satctl" groups put edge --registry central --artifact demo/hello:1 --artifact demo/web:1.0 \
  --proxy-allow 'demo/*' --proxy-tag-ttl 60 --rollout 'waves=1,100%;soak=3s;order=site=b' >/dev/null
"$BIN/satctl" groups add edge demo/tools:1 >/dev/null
"$BIN/satctl" rollouts show edge | sed -n '1,2p;4,7p' | sed 's/^/   /'
rollout_state() {
  "$BIN/satctl" rollouts show edge --output json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["state"] + " (" + "; ".join("wave %d: %s" % (w["wave"], ",".join(w["members"])) for w in r["progress"]) + ")")'
}
for _ in $(seq 1 300); do rollout_state | grep -q '^completed' && break; sleep 0.1; done
echo "   edge's rollout: $(rollout_state)"
echo "   (satctl rollouts pause|resume|promote|abort edge steer one; abort takes every member back, fetching nothing)"
echo

echo "== sync windows and budgets: store-b may use its upstream link only in a window, closed now, and 1 GiB a month; sync-now lets one sync through (docs/sync-windows.md)"
closed=$(python3 -c 'import datetime; d = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3); print(d.strftime("%a") + " 00:00-01:00 UTC")')
"$BIN/satctl" satellites settings store-b --sync-window "$closed" --upstream-budget 1GiB/month --heartbeat-interval 1 >/dev/null
"$BIN/satctl" groups put nightly --registry central --artifact demo/nightly:2026 >/dev/null
"$BIN/satctl" satellites add-group store-b nightly >/dev/null
for _ in $(seq 1 300); do
  "$BIN/satellite" status --data-dir "$WORK/store-b" | grep -q 'demo/nightly.*outsideSyncWindow' && break
  sleep 0.1
done
for _ in $(seq 1 300); do "$BIN/satctl" satellites show store-b | grep -q 'closed: upstreams not used' && break; sleep 0.1; done
"$BIN/satctl" satellites show store-b | grep -E '^sync window' | sed 's/  */ /g; s/^/   store-b /'
"$BIN/satellite" status --data-dir "$WORK/store-b" | grep -m1 'demo/nightly.*outsideSyncWindow' | cut -c1-160 | sed 's/^ */   store-b: /'
curl -s -H "$accept" "http://127.0.0.1:${SAT_PORT[b]}/v2/demo/hello/manifests/2" | python3 -c '
import json, sys
print("   a device asks store-b for demo/hello:2: " + json.load(sys.stdin)["errors"][0]["message"])'
"$BIN/satctl" satellites sync-now store-b | sed 's/^/   satctl: /'
for _ in $(seq 1 300); do "$BIN/satellite" status --data-dir "$WORK/store-b" | grep -q '^missing or stale (0)' && break; sleep 0.1; done
"$BIN/satellite" status --data-dir "$WORK/store-b" | grep -E '^missing or stale|central/demo/nightly:2026' | sed 's/^ */   after sync-now, store-b: /'
for _ in $(seq 1 300); do "$BIN/satctl" satellites show store-b | grep -q '^upstream budget' && break; sleep 0.1; done
"$BIN/satctl" satellites show store-b | grep -E '^upstream budget' | sed 's/  */ /g; s/^/   store-b /'
"$BIN/satctl" satellites settings store-b --sync-window '' --upstream-budget '' >/dev/null
echo

echo "== demand: a device asks store-a3 for demo/debug:1 (pulled through; again, it is held) and other/tool:1 twice (outside the rules); satctl demand sums what no group names, and adds one (docs/demand.md)"
for _ in 1 2; do curl -s -o /dev/null -H "$accept" "http://127.0.0.1:$A3/v2/demo/debug/manifests/1"; done
# As containerd asks a mirror: ?ns= names the registry the image is from.
for _ in 1 2; do curl -s -o /dev/null -H "$accept" "http://127.0.0.1:$A3/v2/other/tool/manifests/1?ns=127.0.0.1:$UPSTREAM_PORT"; done
for _ in $(seq 1 300); do
  "$BIN/satctl" demand | sed 's/  */ /g' | grep -q 'other/tool:1 2 ' && "$BIN/satctl" demand | grep -q 'demo/debug:1' && break
  sleep 0.1
done
"$BIN/satctl" demand | sed 's/  */ /g; s/^/   /'
"$BIN/satctl" demand add edge demo/debug:1 --registry central | sed 's/^/   satctl: /'
"$BIN/satctl" demand | sed 's/  */ /g; s/^/   now: /'
echo

echo "== signed images only, carried to a site with no link: ship-07 never comes online (docs/signatures.md, docs/bundles.md)"
if python3 -c 'import cryptography' 2>/dev/null; then
  # Signed in cosign's format (cosign itself is not on this machine; the tests use the same script).
  python3 scripts/testing/cosign-sign.py keygen ecdsa "$WORK/release" >/dev/null
  python3 scripts/testing/cosign-sign.py push-simple "http://127.0.0.1:$UPSTREAM_PORT" demo/web "$(digest_of demo/web 1.0)" "$WORK/release.key" >/dev/null
  "$BIN/satctl" groups put ship --registry central --artifact demo/web:1.0 --verify-key "$WORK/release.pub" >/dev/null
  "$BIN/satctl" satellites create ship-07 --group ship >/dev/null
  curl -s "$SATCTL_URL/api/v1/public-key" | python3 -c 'import json, sys; print(json.load(sys.stdin)["publicKey"])' >"$WORK/ground-control.pub"
  "$BIN/satctl" satellites bundle ship-07 -o "$WORK/ship-07.tar" | sed 's/^/   satctl: /'
  generation=$(tar -xOf "$WORK/ship-07.tar" satellite/bundle.json | python3 -c 'import json, sys; print(json.load(sys.stdin)["generation"])')
  echo "   the bundle is an OCI layout: $(tar -tf "$WORK/ship-07.tar" | head -5 | tr '\n' ' ')..."
  "$BIN/satellite" import "$WORK/ship-07.tar" --data-dir "$WORK/ship-07" --state-public-key "$WORK/ground-control.pub" \
    | head -1 | sed 's/^/   satellite: /'
  SHIP=$(free_port)
  "$BIN/satellite" run --data-dir "$WORK/ship-07" --listen "127.0.0.1:$SHIP" --state-file "$WORK/ship-07/imported-state.json" \
    --state-public-key "$WORK/ground-control.pub" --log-level info >"$WORK/ship-07.log" 2>&1 &
  SHIP_PID=$!
  PIDS+=($SHIP_PID)
  wait_synced ship-07
  echo "   ship-07 serves demo/web:1.0 as $(curl -s -I -H "$accept" "http://127.0.0.1:$SHIP/v2/demo/web/manifests/1.0" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'), its signature beside it"
  kill "$SHIP_PID"; wait "$SHIP_PID" 2>/dev/null || true
  # demo/hello:1 is not signed: a delta that adds it is refused whole, and nothing is written.
  "$BIN/satctl" groups put ship --registry central --artifact demo/web:1.0 --artifact demo/hello:1 --verify-key "$WORK/release.pub" >/dev/null
  "$BIN/satctl" satellites bundle ship-07 -o "$WORK/ship-07-delta.tar" --since "$generation" | sed 's/^/   satctl: /'
  "$BIN/satellite" import "$WORK/ship-07-delta.tar" --data-dir "$WORK/ship-07" \
    --state-public-key "$WORK/ground-control.pub" 2>&1 | grep -o 'the bundle is refused.*not signed[^;]*' | head -1 | sed 's/^/   satellite: /' || true
else
  echo "   skipped: signing the demo image needs python's cryptography (pip install cryptography)"
fi
echo

echo "== a large fleet: satellites created a thousand per request; at rest each heartbeats quietly, naming the status it last sent (docs/operating.md)"
python3 -c 'import json; print(json.dumps({"satellites": [{"name": "branch-%03d" % i, "groups": [], "labels": {"region": "demo"}} for i in range(250)]}))' >"$WORK/branches.json"
"$BIN/satctl" satellites create-batch --file "$WORK/branches.json" --output json | python3 -c '
import json, sys
tokens = json.load(sys.stdin)
print("   satctl satellites create-batch: %d satellites, %s to %s, a one-time token each" % (len(tokens), tokens[0]["name"], tokens[-1]["name"]))'
curl -s "$SATCTL_URL/metrics" | grep '^ground_control_heartbeats_total' | sed 's/^/   /' || true
echo

echo "== point a node's containerd and podman at store-a ($WORK/node stands in for the node's /)"
mkdir -p "$WORK/node"
"$BIN/satellite" runtime configure --runtime containerd,podman --root "$WORK/node" \
  --data-dir "$WORK/store-a" --advertise "http://127.0.0.1:$A" | sed 's/^/   /'
echo "   -- etc/containerd/certs.d/127.0.0.1:$UPSTREAM_PORT/hosts.toml:"
grep -v '^#' "$WORK/node/etc/containerd/certs.d/127.0.0.1:$UPSTREAM_PORT/hosts.toml" | sed '/^$/d; s/^/      /'
echo

cat <<TEXT
== pull from a satellite (store-a serves 127.0.0.1:$A; store-b 127.0.0.1:${SAT_PORT[b]})
   curl -s http://127.0.0.1:$A/v2/_catalog
   skopeo inspect --tls-verify=false docker://127.0.0.1:$A/demo/web:1.0
   skopeo copy --src-tls-verify=false docker://127.0.0.1:$A/demo/hello:1 oci:/tmp/hello:1
   ctr images pull --plain-http 127.0.0.1:$A/demo/hello:1
   podman pull --tls-verify=false 127.0.0.1:$A/demo/hello:1

== the fleet in a browser: open $SATCTL_URL/ and log in as demo (operator), password in $WORK/demo.password
   (the overview follows heartbeats live; docs/ground-control.md shows the pages)

== tell another system what happens: signed CloudEvents, retried until taken, in order
   $BIN/satctl subscriptions put ops --endpoint http://127.0.0.1:9000/events --secret-file FILE
   $BIN/satctl subscriptions deliveries ops

== change the group and watch both satellites follow (in another shell)
   export SATCTL_URL=$SATCTL_URL SATCTL_TOKEN=$SATCTL_TOKEN
   $BIN/satctl groups add edge demo/tools:1
   $BIN/satctl satellites list
   $BIN/satctl satellites show store-a       # last sync, any artifact that failed with its reason, its site
   $BIN/satctl sites                         # each site's satellites, bytes from peers and from upstreams
   $BIN/satellite status --data-dir $WORK/store-a

== undo the node's runtime configuration, byte for byte (docs/runtimes.md)
   $BIN/satellite runtime restore --runtime containerd,podman --root $WORK/node

== revoke a satellite: it stops syncing and reporting, says REVOKED, and keeps serving
   $BIN/satctl satellites revoke store-b
   $BIN/satellite status --data-dir $WORK/store-b

== cut the sites off: stop Ground Control (kill $GC_PID), then pull again from 127.0.0.1:$A

== day 2: back up Ground Control while it serves (docs/operating.md says more)
   $BIN/ground-control backup --database sqlite:$WORK/ground-control.sqlite --to $WORK/backup.sqlite

Logs are in $WORK. Ctrl-C stops everything and removes it.
TEXT

if [ -n "${DEMO_CHECK:-}" ]; then exit 0; fi
# Waited on in the background so that Ctrl-C (or a SIGINT to this script alone) runs the cleanup at once.
sleep infinity &
PIDS+=($!)
wait $!
