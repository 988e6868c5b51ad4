#!/usr/bin/env bash
# Audit log benchmark (issue 12), on a fresh PostgreSQL database, release build:
#   1. writes BENCH_EVENTS audited writes (POST /api/v1/agencies, one event each) as fast as the
#      server accepts them (wrk, BENCH_CONNECTIONS connections), while a monitor samples every
#      0.2 s how many events have no position yet and how old the oldest of them is; then waits
#      until every event is sealed: the time to seal them all and the sealer's worst lag;
#   2. signs a tree head over the whole log and measures, at that size, inclusion-proof and
#      consistency-proof requests per second (random positions) and the proof sizes, against
#      `GET /api/v1/agencies/{id}` of the same server and pgbench running the inclusion proof's
#      SQL statements (bench/audit_proof.sql) in the same run;
#   3. times `GET /api/v1/audit/verify` over the whole log (the full replay an auditor without
#      proofs would need);
#   4. times listing (`GET /api/v1/audit/events`, 200 a page) at that size: first page, a page
#      from the middle, and filtered by object, by a common and a rare action, and by actor.
# Results: bench/out/audit.txt.
#
#   bash bench/audit.sh                                   # 1,000,000 events: ~12 minutes on 2 cores
#   BENCH_EVENTS=20000 BENCH_SECONDS=5 bash bench/audit.sh   # smoke run, ~1 minute
#
# Settings: BENCH_EVENTS (1000000), BENCH_SECONDS per proof step (15), BENCH_CONNECTIONS (8),
# BENCH_THREADS (2), BENCH_PGURL, BENCH_BIN, BENCH_KEEP (see bench/lib.sh).
BENCH_NAME=audit
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EVENTS=${BENCH_EVENTS:-1000000}
SECS=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
for n in "$EVENTS" "$SECS" "$CONNS" "$THREADS"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "numeric settings only"; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)"; exit 1; }
command -v jq >/dev/null || { echo "jq is required (apt-get install -y jq)"; exit 1; }
: > "$OUT/audit.txt"
MONITOR_PID=""
extra_cleanup() { [ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null || true; }

sql() { psql "$DBURL" -XAtq -c "$1"; }
now_ms() { date +%s%3N; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
wrk_summary() { grep '^BENCH ' "$1" | tail -1; }
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
errors_of() { local l=$1; echo $(( $(kv "$l" non2xx) + $(kv "$l" connect) + $(kv "$l" read) + $(kv "$l" write) + $(kv "$l" timeout) )); }

log "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); PostgreSQL $(psql "$PGURL" -XAtc 'show server_version'); commit $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && [ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock migrations)" ] && echo ' (+ uncommitted changes)')"
log "events=$EVENTS connections=$CONNS threads=$THREADS proof step=${SECS}s"
export WORKERS=${WORKERS:-2} DB_POOL_SIZE=${DB_POOL_SIZE:-10} CHECKPOINT_INTERVAL_SECONDS=0 JWT_TTL_SECONDS=86400
create_database
start_server
TOKEN=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@bench.go.id","password":"Kopi-Tubruk-7-Pagi"}' "$BASE/api/v1/auth/login" | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || { echo "login failed"; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN")
AGENCY_ID=$(curl -sf "${AUTH[@]}" -H 'content-type: application/json' \
  -d '{"code":"BENCH-READ","name":"Bench read target","level":"central","time_zone":"WIB"}' \
  "$BASE/api/v1/agencies" | jq -r .id)

# ---------------------------------------------------------------------------------------------
# 1. Write EVENTS audited creates as fast as the server takes them; sample the sealer's lag.
# Unsealed = the newest event id minus the tree size (ids are drawn without gaps here: no write
# fails); the age is that of the oldest event newer than the newest sealed one.
LAG_SQL="select (extract(epoch from clock_timestamp()) * 1000)::bigint,
  coalesce((select max(id) from audit_events), 0),
  coalesce((select max(idx) + 1 from audit_tree_nodes where level = 0), 0),
  coalesce(round(extract(epoch from clock_timestamp() - (select occurred_at from audit_events
    where id > (select coalesce(max(event_id), 0) from audit_tree_nodes where event_id is not null)
    order by id limit 1))::numeric * 1000), 0)"
monitor() { while :; do psql "$DBURL" -XAtq -F ' ' -c "$LAG_SQL" || true; sleep 0.2; done; }
monitor > "$WORK/lag.txt" &
MONITOR_PID=$!
EVENTS_BEFORE=$(sql "select count(*) from audit_events")
TARGET_ID=$(( $(sql "select coalesce(max(id), 0) from audit_events") + EVENTS ))
log "writing $EVENTS audited creates"
# wrk runs until the log has EVENTS more events, then stops on SIGINT (and still reports).
T0=$(now_ms)
WRK_MODE=create WRK_CODE_PREFIX="A$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)" \
  wrk -t "$THREADS" -c "$CONNS" -d 7200s --timeout 10s --latency -s "$ROOT/bench/wrk.lua" "${AUTH[@]}" \
  "$BASE/api/v1/agencies" > "$WORK/write.txt" 2>&1 &
WRK_PID=$!
while kill -0 "$WRK_PID" 2>/dev/null; do
  (( $(sql "select coalesce(max(id), 0) from audit_events") >= TARGET_ID )) && break
  sleep 0.1
done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" || true
T_WRITTEN=$(now_ms)
WRITE=$(wrk_summary "$WORK/write.txt")
[ "$(errors_of "$WRITE")" = 0 ] || { cat "$WORK/write.txt"; echo "writes failed"; exit 1; }
# Cheap check first (the newest event has a leaf), then the exact one (no event without one).
while :; do
  read -r newest newest_sealed <<<"$(psql "$DBURL" -XAtq -F ' ' -c "select coalesce((select max(id) from audit_events), 0),
    coalesce((select max(event_id) from audit_tree_nodes where event_id is not null), 0)")"
  if [ "$newest" = "$newest_sealed" ]; then
    read -r total sealed <<<"$(psql "$DBURL" -XAtq -F ' ' -c "select (select count(*) from audit_events),
      coalesce((select max(idx) + 1 from audit_tree_nodes where level = 0), 0)")"
    [ "$total" = "$sealed" ] && break
  fi
  sleep 0.1
done
T_SEALED=$(now_ms)
sleep 0.5; kill "$MONITOR_PID"; wait "$MONITOR_PID" 2>/dev/null || true; MONITOR_PID=""
WRITTEN=$(( total - EVENTS_BEFORE ))
read -r MAX_UNSEALED MAX_AGE_MS SAMPLES < <(awk -v t0="$T0" '$1 >= t0 { u = $2 - $3; if (u > mu) mu = u; if ($4 > ma) ma = $4; n++ }
  END { print mu + 0, ma + 0, n + 0 }' "$WORK/lag.txt")
read -r P99_UNSEALED P99_AGE_MS < <(awk -v t0="$T0" '$1 >= t0 { print $2 - $3, $4 }' "$WORK/lag.txt" \
  | sort -n -k1,1 | awk '{ u[NR] = $1; a[NR] = $2 } END { n = NR; asort(a); i = int(n * 0.99); if (i < 1) i = 1; print u[i] + 0, a[i] + 0 }')
log "write: $(kv "$WRITE" requests) requests in $(seconds $(( T_WRITTEN - T0 ))) s, $(kv "$WRITE" rps) req/s, p50 $(kv "$WRITE" p50_us) us, p99 $(kv "$WRITE" p99_us) us, errors 0"
log "events written: $WRITTEN (tree size now $sealed)"
log "all sealed $(seconds $(( T_SEALED - T0 ))) s after the first write, $(( T_SEALED - T_WRITTEN )) ms after the last response"
log "sealer lag over $SAMPLES samples (every 0.2 s): worst $MAX_UNSEALED events unsealed, oldest unsealed event at worst $MAX_AGE_MS ms old; 99th percentile $P99_UNSEALED events, $P99_AGE_MS ms"
log "server RSS after the writes: $(awk '/VmHWM/ { print $2" "$3 }' /proc/"$SERVER_PID"/status) peak"
sql "analyze"

# ---------------------------------------------------------------------------------------------
# 2. Proofs at the full size, against a signed head.
HEAD=$(curl -sf -X POST "${AUTH[@]}" "$BASE/api/v1/audit/checkpoints")
SIZE=$(jq -r .seq <<<"$HEAD")
[ "$(jq -r .root_hash <<<"$HEAD")" != null ] || { echo "the checkpoint has no tree head: $HEAD"; exit 1; }
log "signed tree head: size $SIZE, root $(jq -r .root_hash <<<"$HEAD")"

proof_bytes=0; proof_hashes=0; samples=50
for _ in $(seq $samples); do
  seq_=$(( (RANDOM * 32768 + RANDOM) % SIZE + 1 ))
  body=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/audit/proofs/inclusion?seq=$seq_&tree_size=$SIZE")
  proof_bytes=$(( proof_bytes + ${#body} ))
  proof_hashes=$(( proof_hashes + $(jq '.audit_path | length' <<<"$body") ))
done
log "inclusion proof at size $SIZE: $(awk -v h=$proof_hashes -v n=$samples 'BEGIN { printf "%.1f", h / n }') hashes ($(( proof_hashes * 32 / samples )) bytes of hashes), whole JSON response with the event $(( proof_bytes / samples )) bytes on average over $samples random positions"
first=$(( SIZE / 3 ))
body=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/audit/proofs/consistency?first=$first&second=$SIZE")
log "consistency proof $first -> $SIZE: $(jq '.proof | length' <<<"$body") hashes, JSON response ${#body} bytes"

measure() { # label, then wrk's environment and path
  local label=$1 path=$2; shift 2
  env "$@" wrk -t "$THREADS" -c "$CONNS" -d 2s --timeout 10s -s "$ROOT/bench/wrk.lua" "${AUTH[@]}" "$BASE$path" >/dev/null 2>&1 || true
  env "$@" wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" --timeout 10s --latency -s "$ROOT/bench/wrk.lua" "${AUTH[@]}" \
    "$BASE$path" > "$WORK/$label.txt" 2>&1
  local line; line=$(wrk_summary "$WORK/$label.txt")
  log "$label: $(kv "$line" rps) req/s, p50 $(kv "$line" p50_us) us, p99 $(kv "$line" p99_us) us, errors $(errors_of "$line") ($*)"
  [ "$(errors_of "$line")" = 0 ] || { echo "$label had errors"; exit 1; }
}
measure inclusion /api/v1/audit/proofs/inclusion WRK_MODE=inclusion WRK_TREE_SIZE="$SIZE"
measure consistency /api/v1/audit/proofs/consistency WRK_MODE=consistency WRK_TREE_SIZE="$SIZE"
measure agency_get "/api/v1/agencies/$AGENCY_ID" WRK_MODE=get

# The inclusion proof's statements as pgbench runs them (see bench/audit_proof.sql), same
# concurrency, on the same database.
pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECS" -D size="$SIZE" -f "$ROOT/bench/audit_proof.sql" "$DBURL" \
  > "$WORK/pgbench_proof.txt" 2>&1 || { cat "$WORK/pgbench_proof.txt"; exit 1; }
log "pgbench, the inclusion proof's SQL (bench/audit_proof.sql): $(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$WORK/pgbench_proof.txt") tps, $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench_proof.txt") failed"

# ---------------------------------------------------------------------------------------------
# 3. The full replay, for comparison with one proof.
T=$(now_ms)
VERIFY=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/audit/verify")
log "GET /api/v1/audit/verify over $SIZE events: $(seconds $(( $(now_ms) - T ))) s, $(jq -c "{ok, events_checked}" <<<"$VERIFY")"

# ---------------------------------------------------------------------------------------------
# 4. Listing at this size (GET /api/v1/audit/events, which joins the leaves for the positions):
#    the median of 5 requests each, one at a time, 200 events a page.
list_time() { # label, query string
  local label=$1 query=$2 times=() t body
  for _ in 1 2 3 4 5; do
    t=$(curl -sf -o "$WORK/list.json" -w '%{time_total}' "${AUTH[@]}" "$BASE/api/v1/audit/events?limit=200$query")
    times+=("$t")
  done
  body=$(jq '.items | length' "$WORK/list.json")
  log "list $label: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 * 1000 }') ms ($body events; $query)"
}
SOME_AGENCY=$(sql "select object_id from audit_events where action = 'agency.created' order by id desc limit 1 offset $(( EVENTS / 2 ))")
list_time "first page, no filter" ""
list_time "a page from the middle of the log" "&cursor=$(( SIZE / 2 ))"
list_time "one agency's events (object_id)" "&object_type=agency&object_id=$SOME_AGENCY"
list_time "by action, the most common one" "&action=agency.created"
list_time "by action, a rare one" "&action=schema.migrated"
list_time "by actor (every write's)" "&actor_id=$(sql "select actor_id from audit_events where action = 'agency.created' limit 1")"
log "server peak RSS: $(awk '/VmHWM/ { print $2" "$3 }' /proc/"$SERVER_PID"/status)"
