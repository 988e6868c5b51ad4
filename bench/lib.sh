# Shared set-up of the PostgreSQL benchmarks (bench/import.sh, bench/selection.sh); sourced after
# setting BENCH_NAME (the prefix of the work directory and database, and the results file's name).
#
# BENCH_FEATURES (set by a script before sourcing) adds cargo features to the release build.
# Sets ROOT, OUT, PGURL, WORK, DB, DBURL, PORT, BASE and BIN (BENCH_BIN, else a fresh release
# build); defines log, start_server, stop_server and create_database; on exit stops the server,
# runs extra_cleanup if the script defines it, and drops the database and WORK unless BENCH_KEEP=1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/bench/out"; mkdir -p "$OUT"
PGURL=${BENCH_PGURL:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d "/tmp/asn-merit-$BENCH_NAME-bench.XXXX")
DB="asn_merit_${BENCH_NAME}_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
DBURL="${PGURL%/*}/$DB?sslmode=disable"
PORT=$(( 20000 + RANDOM % 20000 ))
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK and database $DB"; return; fi
  psql "$PGURL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${BENCH_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q ${BENCH_FEATURES:+--features "$BENCH_FEATURES"})
  BIN="$ROOT/target/release/asn-merit"
else
  BIN=$BENCH_BIN
fi

log() { echo "[$(date +%T)] $*" | tee -a "$OUT/$BENCH_NAME.txt"; }

# A fresh PostgreSQL database for the server, with an admin (bench@bench.go.id).
create_database() {
  psql "$PGURL" -qc "CREATE DATABASE $DB" >/dev/null
  export DATABASE_URL="$DBURL" DATA_DIR="$WORK/data" BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn
  ASN_MERIT_ADMIN_PASSWORD="Kopi-Tubruk-7-Pagi" "$BIN" create-admin --email bench@bench.go.id >/dev/null
}
start_server() {
  "$BIN" serve >> "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
