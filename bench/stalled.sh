#!/usr/bin/env bash
# Stalled-upload benchmark (issue 11): 500 application-import uploads that announce 50 MB and
# trickle a byte every 2 s are opened against a server on a fresh PostgreSQL database. Measured:
# GET /api/v1/me p50/p99 at rest and while they are held, /readyz while held, and the time until
# the server is fully usable again once they stop (readiness, a new upload accepted, no spool
# file left). Three runs: the default upload limits with the uploads stalling until the body
# timeout ends them; the default limits with the clients closing their sockets; and limits
# raised to hold all 500 at once (the uploads then really spool), ended by the body timeout.
# Results: bench/out/stalled.txt (one JSON line per run).
#
#   bash bench/stalled.sh                 # about 2 minutes
#   BENCH_UPLOADS=100 BENCH_SECONDS=5 bash bench/stalled.sh
#
# Settings: BENCH_UPLOADS (500), BENCH_SECONDS per latency window (10), BENCH_PGURL, BENCH_BIN,
# BENCH_KEEP (see bench/lib.sh).
BENCH_NAME=stalled
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UPLOADS=${BENCH_UPLOADS:-500}
SECONDS_PER_WINDOW=${BENCH_SECONDS:-10}
: > "$OUT/stalled.txt"
ulimit -n 4096 2>/dev/null || true
log "machine: $(nproc) cores; uploads=$UPLOADS window=${SECONDS_PER_WINDOW}s"

threads() { ls /proc/"$SERVER_PID"/task | wc -l; }
export BODY_TIMEOUT_SECONDS=5 WORKERS=2 DB_POOL_SIZE=10
create_database
start_server
log "server threads at start: $(threads)"
python3 "$ROOT/bench/import_setup.py" "$BASE" "$ROOT/seed/rule-sets/casn-2024.json" 1 "$WORK"
ROUND=$(cat "$WORK/round"); HR_TOKEN=$(cat "$WORK/hr_token")
ADMIN_TOKEN=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@bench.go.id","password":"Kopi-Tubruk-7-Pagi"}' "$BASE/api/v1/auth/login" | jq -r .access_token)

scenario() { # label, mode, then env settings for the server
  local label=$1 mode=$2; shift 2
  stop_server
  env "$@" true # validates the assignments
  for kv in "$@"; do export "${kv?}"; done
  start_server
  local line
  line=$(python3 "$ROOT/bench/stalled.py" "$BASE" "$HR_TOKEN" "$ADMIN_TOKEN" "$ROUND" "$WORK/data/imports" \
    "$UPLOADS" "$SECONDS_PER_WINDOW" "$mode")
  log "$label: $line"
  log "$label: server threads after recovery: $(threads), RSS $(awk '/VmRSS/{print $2" "$3}' /proc/"$SERVER_PID"/status)"
  sleep 15 # idle blocking-pool threads end after 10 s
  log "$label: server threads 15 s later: $(threads)"
}
scenario "default limits, stalled until the body timeout" timeout MAX_CONCURRENT_UPLOADS=4 MAX_UPLOADS_PER_USER=2
scenario "default limits, clients close their sockets" close MAX_CONCURRENT_UPLOADS=4 MAX_UPLOADS_PER_USER=2
scenario "all $UPLOADS held (limits raised), stalled until the body timeout" timeout \
  MAX_CONCURRENT_UPLOADS=100000 MAX_UPLOADS_PER_USER=100000
