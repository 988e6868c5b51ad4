#!/usr/bin/env bash
# Benchmark runner: starts asn-merit (bench build) on a fresh PostgreSQL database and measures it
# against PostgreSQL's own pgbench on the same machine, in the same run. See BENCHMARKS.md.
#
#   bash bench/run.sh                     # ~2.5 minutes of measuring at the default 15 s per step
#   BENCH_SECONDS=3 bash bench/run.sh     # a quick smoke run (noisy numbers)
#
# Settings (environment):
#   BENCH_SECONDS              duration of every measured step (15)
#   BENCH_WARMUP_SECONDS       unmeasured warm-up before the GET/POST steps, 0 = none (2)
#   BENCH_CONNECTIONS          concurrent connections: wrk -c for GET/POST and pgbench -c (8)
#   BENCH_THREADS              wrk -t and pgbench -j (2)
#   BENCH_LOGIN_CONNECTIONS    wrk -c for the login runs (BENCH_CONNECTIONS)
#   BENCH_LATENCY_CONNECTIONS  wrk -c for the GET p99 runs at rest and under the login storm (4)
#   BENCH_LATENCY_DELAY_MS     pause per connection between those GETs, for a steady moderate
#                              load instead of saturation; 0 = saturate (5)
#   PGBENCH_SCALE              pgbench -i -s (1)
#   HASH_THREADS               the server's hashing pool, also bench-hash-rate --threads (nproc/2, min 1)
#   WORKERS, DB_POOL_SIZE      passed to the server when set (server defaults otherwise: nproc, 10)
#   BENCH_PORT                 port on 127.0.0.1 (a free random one)
#   BENCH_BIN                  use this binary (must be built with --features bench-baselines)
#                              instead of running `cargo build --release --features bench-baselines`
#   BENCH_PGHOST, BENCH_PGPORT PostgreSQL address (127.0.0.1, 5432); loopback only
#   BENCH_PGUSER, BENCH_PGPASSWORD  a role with CREATEDB to use as is (skips the detection below)
#   BENCH_OUT                  output directory (bench/out)
#   BENCH_STRICT=1             exit 1 when a target is missed (default: only when a step fails)
#   BENCH_LOGIN_ACCOUNTS       accounts the login steps rotate over (32)
#
# PostgreSQL authentication: tries postgres@BENCH_PGHOST without a password first; when that is
# refused, creates a temporary role with a random password through the local socket
# (`su postgres -c psql`, or `sudo -u postgres`) and drops it at the end.
# The run creates asn_merit_bench_<random> (server) and asn_merit_pgbench_<random> (pgbench) and
# drops both on exit, also on failure or Ctrl-C.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
OUT=${BENCH_OUT:-$BENCH_DIR/out}
RAW="$OUT/raw"

NPROC=$(nproc)
SECONDS_PER_STEP=${BENCH_SECONDS:-15}
WARMUP=${BENCH_WARMUP_SECONDS:-2}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
LOGIN_CONNS=${BENCH_LOGIN_CONNECTIONS:-$CONNS}
LAT_CONNS=${BENCH_LATENCY_CONNECTIONS:-4}
LAT_DELAY=${BENCH_LATENCY_DELAY_MS:-5}
PGBENCH_SCALE=${PGBENCH_SCALE:-1}
HASH_THREADS=${HASH_THREADS:-$(( NPROC / 2 > 0 ? NPROC / 2 : 1 ))}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
STRICT=${BENCH_STRICT:-0}
LOGIN_ACCOUNTS=${BENCH_LOGIN_ACCOUNTS:-32}

ADMIN_EMAIL="bench@bench.go.id"
ADMIN_PASSWORD="Kopi-Tubruk-7-Pagi"
RUN_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
CODE_RUN=${RUN_ID^^}   # agency codes are upper-case
APP_DB="asn_merit_bench_$RUN_ID"
PGBENCH_DB="asn_merit_pgbench_$RUN_ID"
TEMP_ROLE="asn_merit_bench_$RUN_ID"

SERVER_PID=""
STORM_PID=""
ROLE_CREATED=0
DBS_CREATED=()
DATA_DIR=""
STEP_FAILED=0

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for n in "$SECONDS_PER_STEP" "$WARMUP" "$CONNS" "$THREADS" "$LOGIN_CONNS" "$LAT_CONNS" "$LAT_DELAY" "$PGBENCH_SCALE" "$HASH_THREADS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "numeric settings only (got '$n')"
done
(( SECONDS_PER_STEP >= 1 )) || die "BENCH_SECONDS must be at least 1"
case "$PGHOST_" in 127.*|localhost|::1) ;; *) die "BENCH_PGHOST must be a loopback address" ;; esac

# ---------------------------------------------------------------------------------------------
# Clean-up: runs on every exit (success, failure, Ctrl-C).

as_postgres_psql() { # SQL on stdin, through the local socket as the postgres OS user
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $PGPORT_ -d postgres")
  elif sudo -n true 2>/dev/null; then
    (cd / && sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT_" -d postgres)
  else
    return 1
  fi
}

# shellcheck disable=SC2317  # called from the EXIT trap
stop_pid() { # pid: TERM, wait up to 15 s, then KILL
  local pid=$1 n
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for (( n = 0; n < 150; n++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "$STORM_PID"
  stop_pid "$SERVER_PID"
  for db in "${DBS_CREATED[@]}"; do
    if ! admin_psql -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1; then
      log "could not drop database $db; drop it by hand"
    fi
  done
  if (( ROLE_CREATED )); then
    printf 'DROP ROLE IF EXISTS "%s";\n' "$TEMP_ROLE" | as_postgres_psql >/dev/null 2>&1 \
      || log "could not drop role $TEMP_ROLE; drop it by hand"
  fi
  [[ -n "$DATA_DIR" ]] && rm -rf "$DATA_DIR"
  if (( status != 0 )); then
    log "failed (exit $status); server log: $OUT/server.log, raw tool output: $RAW/"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Tools.

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }
need psql "PostgreSQL client"
need pgbench "comes with PostgreSQL (postgresql-contrib / postgresql-client)"
need curl "apt-get install -y curl"
need awk "coreutils"
if ! command -v wrk >/dev/null 2>&1; then
  log "wrk is missing; installing it from Debian's packages"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
  else
    sudo -n apt-get install -y wrk >/dev/null
  fi
  command -v wrk >/dev/null 2>&1 || die "could not install wrk (apt-get install -y wrk)"
fi

mkdir -p "$OUT" "$RAW"
rm -f "$RAW"/*.txt

# ---------------------------------------------------------------------------------------------
# PostgreSQL: find a role that may create databases.

PGUSER_=""
export PGPASSWORD=""
export PGCONNECT_TIMEOUT=5
admin_psql() { psql -X -w -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d postgres "$@"; }

if [[ -n "${BENCH_PGUSER:-}" ]]; then
  PGUSER_=$BENCH_PGUSER
  PGPASSWORD=${BENCH_PGPASSWORD:-}
  admin_psql -Atc 'select 1' >/dev/null || die "cannot connect as $PGUSER_ to $PGHOST_:$PGPORT_"
else
  PGUSER_=postgres
  if admin_psql -Atc 'select 1' >/dev/null 2>&1; then
    log "PostgreSQL: connected as postgres on $PGHOST_:$PGPORT_ without a password"
  else
    log "PostgreSQL refused postgres@$PGHOST_ without a password; creating a temporary role"
    PGUSER_=$TEMP_ROLE
    PGPASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf "CREATE ROLE \"%s\" LOGIN CREATEDB PASSWORD '%s';\n" "$TEMP_ROLE" "$PGPASSWORD" | as_postgres_psql >/dev/null \
      || die "cannot create a role through the local socket (need root or sudo -u postgres); set BENCH_PGUSER/BENCH_PGPASSWORD"
    ROLE_CREATED=1
    admin_psql -Atc 'select 1' >/dev/null || die "cannot connect as the temporary role $TEMP_ROLE"
  fi
fi
PG_VERSION=$(admin_psql -Atc 'show server_version')

create_db() {
  admin_psql -c "CREATE DATABASE \"$1\"" >/dev/null
  DBS_CREATED+=("$1")
}
create_db "$APP_DB"
create_db "$PGBENCH_DB"
if [[ -n "$PGPASSWORD" ]]; then
  DATABASE_URL="postgres://$PGUSER_:$PGPASSWORD@$PGHOST_:$PGPORT_/$APP_DB"
else
  DATABASE_URL="postgres://$PGUSER_@$PGHOST_:$PGPORT_/$APP_DB"
fi
log "databases $APP_DB (server) and $PGBENCH_DB (pgbench) created"

# ---------------------------------------------------------------------------------------------
# The bench build.

if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN=$BENCH_BIN
else
  log "cargo build --release --features bench-baselines"
  (cd "$ROOT" && cargo build --release --features bench-baselines --quiet) || die "release build failed"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/asn-merit"
  [[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN"
"$BIN" bench-hash-rate --help >/dev/null 2>&1 || die "$BIN was built without --features bench-baselines"

# ---------------------------------------------------------------------------------------------
# The server.

pick_port() {
  local p n
  for (( n = 0; n < 100; n++ )); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
PORT=${BENCH_PORT:-$(pick_port)} || die "no free port"
BASE="http://127.0.0.1:$PORT"
DATA_DIR=$(mktemp -d /tmp/asn-merit-bench.XXXXXX)

# The shipped defaults for everything else: keys generated in DATA_DIR, HS256 tokens, one role.
unset MIGRATION_DATABASE_URL JWT_SECRET JWT_ED25519_KEY_FILE PII_KEY_FILE AUDIT_SIGNING_KEY_FILE
export DATABASE_URL DATA_DIR HASH_THREADS
export BIND_ADDR="127.0.0.1:$PORT"
export RUST_LOG=warn LOG_FORMAT=text
export JWT_TTL_SECONDS=3600            # one token lasts the whole run
export CHECKPOINT_INTERVAL_SECONDS=0   # no background checkpoint signing during the run
[[ -n "${WORKERS:-}" ]] && export WORKERS
[[ -n "${DB_POOL_SIZE:-}" ]] && export DB_POOL_SIZE
EFFECTIVE_WORKERS=${WORKERS:-$NPROC}
EFFECTIVE_POOL=${DB_POOL_SIZE:-10}

ASN_MERIT_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BIN" create-admin --email "$ADMIN_EMAIL" --name "Bench Admin" \
  >"$OUT/create-admin.log" 2>&1 || { cat "$OUT/create-admin.log" >&2; die "create-admin failed"; }
# The login steps rotate over many accounts, like a real rush of different people logging in.
for i in $(seq 1 "$LOGIN_ACCOUNTS"); do
  ASN_MERIT_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BIN" create-admin --email "login-$i@bench.go.id" --name "Login $i" \
    >>"$OUT/create-admin.log" 2>&1 || { cat "$OUT/create-admin.log" >&2; die "create-admin failed"; }
done

"$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
log "server pid $SERVER_PID on $BASE (workers $EFFECTIVE_WORKERS, pool $EFFECTIVE_POOL, hash threads $HASH_THREADS)"
ready=0
for _ in $(seq 1 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$OUT/server.log" >&2; die "the server exited during start-up"; }
  if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
(( ready )) || die "the server was not ready within 60 s"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/bench/agencies/00000000-0000-0000-0000-000000000000")
[[ "$code" == 404 ]] || die "the bench routes are not served (GET /bench/agencies/{id} answered $code)"

LOGIN_BODY=$(printf '{"email":"%s","password":"%s"}' "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$BASE/api/v1/auth/login" \
  | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[[ -n "$TOKEN" ]] || die "login failed"
AGENCY_ID=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
  -d '{"code":"BENCH-READ","name":"Bench read target","level":"central","time_zone":"WIB"}' \
  "$BASE/api/v1/agencies" | sed -n 's/.*"id":"\([0-9a-fA-F-]*\)".*/\1/p')
[[ -n "$AGENCY_ID" ]] || die "could not create the agency to read"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/agencies/$AGENCY_ID")
[[ "$code" == 200 ]] || die "GET /api/v1/agencies/$AGENCY_ID answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/bench/agencies/$AGENCY_ID")
[[ "$code" == 200 ]] || die "GET /bench/agencies/$AGENCY_ID answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/agencies/$AGENCY_ID")
[[ "$code" == 401 ]] || die "GET /api/v1/agencies/{id} without a token answered $code, expected 401"

# ---------------------------------------------------------------------------------------------
# Measurement helpers.

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_STARTED=$(date +%s)
declare -A R          # results: R[<step>.<key>]
WRK_COMMANDS=()

kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# wrk_step <step> <connections> <seconds> <path> [extra wrk arguments…]; WRK_* variables select the mode.
wrk_step() {
  local step=$1 conns=$2 secs=$3 path=$4; shift 4
  local threads=$(( THREADS < conns ? THREADS : conns ))
  local out="$RAW/$step.txt" line k
  local cmd=(wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s --latency -s "$BENCH_DIR/wrk.lua" "$@" "$BASE$path")
  "${cmd[@]}" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed in step $step"; }
  line=$(grep '^BENCH ' "$out" | tail -1 || true)
  [[ -n "$line" ]] || { cat "$out" >&2; die "no summary from wrk in step $step"; }
  for k in requests rps p50_us p99_us max_us non2xx connect read write timeout; do
    R[$step.$k]=$(kv "$line" "$k")
  done
  R[$step.errors]=$(( ${R[$step.non2xx]} + ${R[$step.connect]} + ${R[$step.read]} + ${R[$step.write]} + ${R[$step.timeout]} ))
  local shown="" arg
  for arg in "${cmd[@]}"; do
    case "$arg" in
      "Authorization: Bearer "*) arg="'Authorization: Bearer \$TOKEN'" ;;
      "$BENCH_DIR/wrk.lua") arg="bench/wrk.lua" ;;
    esac
    shown+="${shown:+ }$arg"
  done
  WRK_COMMANDS+=("$step: $(env | grep -E '^WRK_(MODE|DELAY_MS|CODE_PREFIX)=' | sort | tr '\n' ' ')$shown")
  log "$step: $(printf '%.0f' "${R[$step.rps]}") req/s, p99 $(ms "${R[$step.p99_us]}") ms, errors ${R[$step.errors]}"
}

warm() { # like wrk_step, unmeasured
  (( WARMUP > 0 )) || return 0
  local conns=$1 path=$2; shift 2
  wrk -t "$(( THREADS < conns ? THREADS : conns ))" -c "$conns" -d "${WARMUP}s" --timeout 10s -s "$BENCH_DIR/wrk.lua" "$@" "$BASE$path" >/dev/null 2>&1 || true
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
fmt() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
AUTH=(-H "Authorization: Bearer $TOKEN")

# ---------------------------------------------------------------------------------------------
# 1. pgbench -S on its own scratch database, same concurrency as the HTTP load.

log "pgbench -i -s $PGBENCH_SCALE"
pgbench -i -q -s "$PGBENCH_SCALE" -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$PGBENCH_DB" >"$RAW/pgbench-init.txt" 2>&1 \
  || { cat "$RAW/pgbench-init.txt" >&2; die "pgbench -i failed"; }
PGBENCH_FLAGS=(-S -n -c "$CONNS" -j "$THREADS" -T "$SECONDS_PER_STEP")
log "pgbench ${PGBENCH_FLAGS[*]}"
pgbench "${PGBENCH_FLAGS[@]}" -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$PGBENCH_DB" >"$RAW/pgbench.txt" 2>&1 \
  || { cat "$RAW/pgbench.txt" >&2; die "pgbench failed"; }
pgbench_result() { # <step>: tps and failed transactions from $RAW/<step>.txt into R
  R[$1.tps]=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$RAW/$1.txt")
  [[ -n "${R[$1.tps]}" ]] || { cat "$RAW/$1.txt" >&2; die "no tps in pgbench's output ($1)"; }
  R[$1.failed]=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$RAW/$1.txt")
  R[$1.failed]=${R[$1.failed]:-0}
  R[$1.errors]=${R[$1.failed]}
  log "$1: $(fmt "${R[$1.tps]}") tps"
}
pgbench_result pgbench

# 2. GET one agency: with the JWT + session + authorization layer, and without it (bench route).
warm "$CONNS" "/api/v1/agencies/$AGENCY_ID" "${AUTH[@]}"
WRK_MODE="get" wrk_step get_auth "$CONNS" "$SECONDS_PER_STEP" "/api/v1/agencies/$AGENCY_ID" "${AUTH[@]}"
warm "$CONNS" "/bench/agencies/$AGENCY_ID"
WRK_MODE="get" wrk_step get_bare "$CONNS" "$SECONDS_PER_STEP" "/bench/agencies/$AGENCY_ID"

# 3. Create an agency: audited API route vs the bench route doing the same authenticated,
#    authorized insert without the audit event.
export WRK_MODE=create
WRK_CODE_PREFIX="W$CODE_RUN" warm "$CONNS" "/api/v1/agencies" "${AUTH[@]}"
WRK_CODE_PREFIX="A$CODE_RUN" wrk_step post_audited "$CONNS" "$SECONDS_PER_STEP" "/api/v1/agencies" "${AUTH[@]}"
WRK_CODE_PREFIX="V$CODE_RUN" warm "$CONNS" "/bench/agencies" "${AUTH[@]}"
WRK_CODE_PREFIX="U$CODE_RUN" wrk_step post_bare "$CONNS" "$SECONDS_PER_STEP" "/bench/agencies" "${AUTH[@]}"
R[audit_events]=$(psql -X -w -At -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d "$APP_DB" -c "select count(*) from audit_events where action = 'agency.created'")

# 3b. The SQL floor of row 3: the same statements with and without the event's INSERT
#     (bench/floor_create*.sql), in pgbench on the pgbench database migrated like the server's,
#     where no sealer runs.
FLOOR_URL=${DATABASE_URL%/*}/$PGBENCH_DB
DATABASE_URL=$FLOOR_URL "$BIN" migrate >"$RAW/floor-migrate.txt" 2>&1 || { cat "$RAW/floor-migrate.txt" >&2; die "migrating the floor database failed"; }
FLOOR_FLAGS=(-n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECONDS_PER_STEP")
floor_step() { # <step> <script>
  pgbench "${FLOOR_FLAGS[@]}" -f "$BENCH_DIR/$2" -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$PGBENCH_DB" >"$RAW/$1.txt" 2>&1 \
    || { cat "$RAW/$1.txt" >&2; die "pgbench $2 failed"; }
  pgbench_result "$1"
}
floor_step floor_bare floor_create.sql
floor_step floor_audited floor_create_audited.sql

# 4. Login throughput vs the raw argon2 hash rate on HASH_THREADS threads.
export WRK_MODE=login WRK_EMAIL_PATTERN='login-%d@bench.go.id' WRK_ACCOUNTS=$LOGIN_ACCOUNTS WRK_PASSWORD=$ADMIN_PASSWORD
wrk_step login "$LOGIN_CONNS" "$SECONDS_PER_STEP" "/api/v1/auth/login"
log "bench-hash-rate --threads $HASH_THREADS --seconds $SECONDS_PER_STEP"
R[hash.rate]=$("$BIN" bench-hash-rate --threads "$HASH_THREADS" --seconds "$SECONDS_PER_STEP" 2>"$RAW/hash-rate.err" | tail -1 || true)
[[ "${R[hash.rate]}" =~ ^[0-9.]+$ ]] || { cat "$RAW/hash-rate.err" >&2; die "bench-hash-rate gave no rate"; }
echo "${R[hash.rate]}" >"$RAW/hash-rate.txt"
log "raw argon2: ${R[hash.rate]} hashes/s on $HASH_THREADS thread(s)"

# 5. GET p99 at rest, then the same GET load while a login storm runs.
export WRK_MODE=get WRK_DELAY_MS=$LAT_DELAY
wrk_step get_rest "$LAT_CONNS" "$SECONDS_PER_STEP" "/api/v1/agencies/$AGENCY_ID" "${AUTH[@]}"
WRK_MODE=login WRK_DELAY_MS=0 wrk -t 1 -c "$LOGIN_CONNS" -d "$(( SECONDS_PER_STEP + 2 ))s" --timeout 10s --latency -s "$BENCH_DIR/wrk.lua" \
  "$BASE/api/v1/auth/login" >"$RAW/storm.txt" 2>&1 &
STORM_PID=$!
sleep 1
wrk_step get_storm "$LAT_CONNS" "$SECONDS_PER_STEP" "/api/v1/agencies/$AGENCY_ID" "${AUTH[@]}"
wait "$STORM_PID" || die "the login storm's wrk failed"
STORM_PID=""
STORM_LINE=$(grep '^BENCH ' "$RAW/storm.txt" | tail -1 || true)
[[ -n "$STORM_LINE" ]] || { cat "$RAW/storm.txt" >&2; die "no summary from the login storm's wrk"; }
for k in rps non2xx timeout; do R[storm.$k]=$(kv "$STORM_LINE" "$k"); done
log "login storm: $(fmt "${R[storm.rps]}") logins/s, errors $(( ${R[storm.non2xx]} + ${R[storm.timeout]} ))"

RUN_SECONDS=$(( $(date +%s) - RUN_STARTED ))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# Report.

ratio()    { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }'; }
pct()      { awk -v x="$1" 'BEGIN { printf "%.1f%%", x * 100 }'; }
ge()       { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le()       { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

MISSED=0
verdict() { # <pass?> <step>… : PASS / FAIL, or INVALID when a contributing run had errors
  local pass=$1; shift
  local s e=0
  for s in "$@"; do e=$(( e + ${R[$s.errors]:-0} )); done
  if (( e > 0 )); then STEP_FAILED=1; echo "INVALID ($e errors)"; return; fi
  if [[ "$pass" == 1 ]]; then echo PASS; else MISSED=1; echo FAIL; fi
}
R[storm.errors]=$(( ${R[storm.non2xx]} + ${R[storm.timeout]} ))

r1=$(ratio "${R[get_auth.rps]}" "${R[pgbench.tps]}")
# Overhead = extra time per request = (rate without / rate with) - 1.
o2=$(awk -v a="${R[get_bare.rps]}" -v b="${R[get_auth.rps]}" 'BEGIN { printf "%.4f", (b > 0 ? a / b - 1 : 0) }')
o3=$(awk -v a="${R[post_bare.rps]}" -v b="${R[post_audited.rps]}" 'BEGIN { printf "%.4f", (b > 0 ? a / b - 1 : 0) }')
o3f=$(awk -v a="${R[floor_bare.tps]}" -v b="${R[floor_audited.tps]}" 'BEGIN { printf "%.4f", (b > 0 ? a / b - 1 : 0) }')
r4=$(ratio "${R[login.rps]}" "${R[hash.rate]}")
r5=$(ratio "${R[get_storm.p99_us]}" "${R[get_rest.p99_us]}")
v1=$(verdict "$(ge "$r1" 0.20 && echo 1 || echo 0)" get_auth pgbench)
v2=$(verdict "$(le "$o2" 0.10 && echo 1 || echo 0)" get_auth get_bare)
v3=$(verdict "$(le "$o3" 0.20 && echo 1 || echo 0)" post_audited post_bare)
v4=$(verdict "$(ge "$r4" 0.85 && echo 1 || echo 0)" login)
v5=$(verdict "$(le "$r5" 3.0 && echo 1 || echo 0)" get_rest get_storm storm)
# verdict runs in a subshell: recompute the flags here.
for v in "$v1" "$v2" "$v3" "$v4" "$v5"; do
  [[ "$v" == FAIL ]] && MISSED=1
  [[ "$v" == INVALID* ]] && STEP_FAILED=1
done

COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock migrations 2>/dev/null)" ]]; then COMMIT="$COMMIT (+ uncommitted changes)"; fi
MODEL=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}' || true)
MEM=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
WRK_VERSION=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}' || true)   # wrk -v exits 1

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
{
  echo "# asn-merit benchmark: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "${SECONDS_PER_STEP} s per step. Machine: ${NPROC} CPUs ($MODEL), $MEM; PostgreSQL $PG_VERSION; wrk $WRK_VERSION."
  echo "Commit $COMMIT. Load average before: $LOAD_BEFORE; after: $LOAD_AFTER. Measuring took ${RUN_SECONDS} s."
  echo "The server, PostgreSQL, pgbench and wrk all share these ${NPROC} CPUs (loopback only)."
  echo
  row "Measurement" "Result" "Baseline" "Ratio" "Target" "Status"
  row "---" "---:" "---:" "---:" "---" "---"
  row "Authenticated \`GET /api/v1/agencies/{id}\` vs \`pgbench -S\`" "$(fmt "${R[get_auth.rps]}") req/s" "$(fmt "${R[pgbench.tps]}") tps" "$(pct "$r1")" "≥ 20%" "$v1"
  row "JWT + authorization cost: same GET with vs without (\`/bench/agencies/{id}\`)" "$(fmt "${R[get_auth.rps]}") req/s" "$(fmt "${R[get_bare.rps]}") req/s" "+$(pct "$o2")" "≤ 10% overhead" "$v2"
  row "Audited write: \`POST /api/v1/agencies\` vs unaudited \`POST /bench/agencies\`" "$(fmt "${R[post_audited.rps]}") req/s" "$(fmt "${R[post_bare.rps]}") req/s" "+$(pct "$o3")" "≤ 20% overhead" "$v3"
  row "SQL floor of row 3: pgbench, the create's statements with vs without the event's INSERT" "$(fmt "${R[floor_audited.tps]}") tps" "$(fmt "${R[floor_bare.tps]}") tps" "+$(pct "$o3f")" "(floor)" "$( (( ${R[floor_bare.errors]} + ${R[floor_audited.errors]} )) && echo INVALID || echo measured)"
  row "Login (\`POST /api/v1/auth/login\`) vs raw argon2id at $HASH_THREADS hash thread(s)" "$(awk -v x="${R[login.rps]}" 'BEGIN{printf "%.1f", x}') req/s" "${R[hash.rate]} hashes/s" "$(pct "$r4")" "≥ 85%" "$v4"
  row "GET p99 during a login storm vs at rest ($LAT_CONNS connections, ${LAT_DELAY} ms pause)" "$(ms "${R[get_storm.p99_us]}") ms" "$(ms "${R[get_rest.p99_us]}") ms" "$(awk -v x="$r5" 'BEGIN{printf "%.2f×", x}')" "≤ 3×" "$v5"
  echo
  echo "Overhead = (rate without the layer ÷ rate with it) − 1, i.e. the extra time per request."
  echo
  echo "## Runs"
  echo
  row "Step" "Requests" "Req/s" "p50 ms" "p99 ms" "Errors (non-2xx / socket)"
  row "---" "---:" "---:" "---:" "---:" "---:"
  for s in get_auth get_bare post_audited post_bare login get_rest get_storm; do
    row "$s" "${R[$s.requests]}" "$(awk -v x="${R[$s.rps]}" 'BEGIN{printf "%.1f", x}')" "$(ms "${R[$s.p50_us]}")" "$(ms "${R[$s.p99_us]}")" \
      "${R[$s.non2xx]} / $(( ${R[$s.connect]} + ${R[$s.read]} + ${R[$s.write]} + ${R[$s.timeout]} ))"
  done
  row "login storm (background)" "" "$(awk -v x="${R[storm.rps]}" 'BEGIN{printf "%.1f", x}')" "" "" "${R[storm.non2xx]} / ${R[storm.timeout]}"
  row "pgbench floor_create.sql" "" "$(awk -v x="${R[floor_bare.tps]}" 'BEGIN{printf "%.1f", x}') tps" "" "" "${R[floor_bare.failed]} failed"
  row "pgbench floor_create_audited.sql" "" "$(awk -v x="${R[floor_audited.tps]}" 'BEGIN{printf "%.1f", x}') tps" "" "" "${R[floor_audited.failed]} failed"
  row "pgbench -S" "" "$(awk -v x="${R[pgbench.tps]}" 'BEGIN{printf "%.1f", x}') tps" "" "" "${R[pgbench.failed]} failed"
  row "bench-hash-rate" "" "${R[hash.rate]} hashes/s" "" "" ""
  echo
  echo "Audit events written by the audited step and its warm-up: ${R[audit_events]} (\`agency.created\`)."
  echo
  echo "## Exact commands"
  echo
  echo '```'
  echo "pgbench -i -q -s $PGBENCH_SCALE <scratch db>"
  echo "pgbench ${PGBENCH_FLAGS[*]} -h $PGHOST_ -p $PGPORT_ <scratch db>"
  echo "DATABASE_URL=<scratch db> asn-merit migrate"
  echo "pgbench ${FLOOR_FLAGS[*]} -f bench/floor_create.sql <scratch db>"
  echo "pgbench ${FLOOR_FLAGS[*]} -f bench/floor_create_audited.sql <scratch db>"
  printf '%s\n' "${WRK_COMMANDS[@]}"
  echo "storm (concurrent with get_storm): WRK_MODE=login WRK_DELAY_MS=0 wrk -t 1 -c $LOGIN_CONNS -d $(( SECONDS_PER_STEP + 2 ))s --timeout 10s --latency -s bench/wrk.lua $BASE/api/v1/auth/login"
  echo "asn-merit bench-hash-rate --threads $HASH_THREADS --seconds $SECONDS_PER_STEP"
  echo '```'
  echo
  echo "Server: WORKERS=$EFFECTIVE_WORKERS DB_POOL_SIZE=$EFFECTIVE_POOL HASH_THREADS=$HASH_THREADS RUST_LOG=warn JWT_TTL_SECONDS=3600 CHECKPOINT_INTERVAL_SECONDS=0."
  echo "Warm-up: ${WARMUP} s of unmeasured load before each GET/POST step."
} >"$OUT/latest.md"

echo
cat "$OUT/latest.md"
echo
log "written to $OUT/latest.md (raw tool output in $RAW/)"

if (( STEP_FAILED )); then
  log "some runs had errors: their rows are INVALID"
  exit 1
fi
if (( MISSED )) && [[ "$STRICT" == 1 ]]; then
  exit 1
fi
exit 0
