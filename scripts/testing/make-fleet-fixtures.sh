#!/usr/bin/env bash
# Writes the schema fixtures of a release: a Ground Control fleet made by its programs, on SQLite
# (a database file) and on PostgreSQL (a plain pg_dump), named by the fleet schema version they
# hold, for the upgrade tests of later releases. Run it from a checkout of the release, after
# `swift build`, when a release changes the schema:
#
#   scripts/testing/make-fleet-fixtures.sh
#
# The fleet: registry "central" (a password), group "edge" (a tag and a digest), satellite
# "edge-01" in the group with labels, satellite "spare" in no group. Secrets in it are made up,
# and so is the key they are sealed under (fleet-schemaN.key, from schema 16 on).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Tests/IntegrationTests/Fixtures
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/fleet-fixtures.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as its own user below
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres=(); [ "$(id -u)" = 0 ] && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
mkdir -p "$work/pg" && [ "$(id -u)" = 0 ] && chown postgres:postgres "$work/pg"
"${as_postgres[@]}" "$pg/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_postgres[@]}" "$pg/postgres" -D "$work/pg/data" -p "$port" -k "$work/pg" -c listen_addresses=127.0.0.1 >"$work/pg.log" 2>&1 &
pids+=($!)
until "$pg/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; do sleep 0.2; done
"$pg/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc 'CREATE DATABASE fleet'

define_fleet() {  # $1: database URL
  GROUND_CONTROL_ADMIN_TOKEN=fixture-admin "$bin/ground-control" serve --listen 127.0.0.1:0 --database "$1" \
    --secret-key-file "$work/secret.key" --resolve-interval 3600 >"$work/gc.log" 2>&1 &
  local gc=$!
  local url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/^ground-control: serving //p' "$work/gc.log"); [ -n "$url" ] && break; sleep 0.1
  done
  [ -n "$url" ] || { cat "$work/gc.log"; exit 1; }
  export SATCTL_URL=$url SATCTL_TOKEN=fixture-admin
  echo fixture-password >"$work/password"
  "$bin/satctl" registries put central --registry-url http://127.0.0.1:5999 --username fixture --password-file "$work/password" >/dev/null
  "$bin/satctl" groups put edge --registry central --artifact library/alpine:3.20 \
    --artifact "library/busybox@sha256:$(printf '%064d' 1)" >/dev/null
  "$bin/satctl" satellites create edge-01 --group edge --label site=north --label tier=store >/dev/null
  "$bin/satctl" satellites create spare >/dev/null
  kill "$gc"; wait "$gc" || true
}

define_fleet "sqlite:$work/fleet.sqlite"
schema=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0])' "$work/fleet.sqlite")
mkdir -p "$out"
"$bin/ground-control" backup --database "sqlite:$work/fleet.sqlite" --to "$out/fleet-schema$schema.sqlite"
define_fleet "postgres://postgres@127.0.0.1:$port/fleet?sslmode=disable"
"$pg/pg_dump" -h 127.0.0.1 -p "$port" -U postgres --no-owner --no-privileges fleet >"$out/fleet-schema$schema.sql"
# Both databases seal their secrets under this made-up key; the upgrade tests start with it.
cp "$work/secret.key" "$out/fleet-schema$schema.key"
echo "wrote $out/fleet-schema$schema.sqlite, .sql and .key"
