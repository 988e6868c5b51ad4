#!/usr/bin/env bash
# Import benchmark (issue: openings and applications): 1,000,000 synthetic applicant rows imported
# on PostgreSQL, in the same run against: the floor (the same persons and applications,
# transformed first, written with binary COPY into the same tables, indexes and constraints of a
# fresh database: one COPY per table, and in transactions of 1,000 as the import commits);
# `psql \copy` of the same file into a bare text table; and the row-at-a-time path (one POST per
# application). Also the server's peak RSS during an HTTP upload of the file, and the same import
# on SQLite. Results: bench/out/import.txt.
#
#   bash bench/import.sh                  # 1,000,000 rows (about 10 minutes on 2 cores)
#   BENCH_ROWS=100000 bash bench/import.sh
#
# Settings: BENCH_ROWS (1000000), BENCH_OPENINGS (1000), BENCH_SINGLE_ROWS rows for the
# row-at-a-time baseline (3000), BENCH_PGURL (postgres://postgres@127.0.0.1:5432/postgres; a role
# that may create databases), BENCH_BIN (a release binary; else cargo build --release),
# BENCH_KEEP=1 keeps the database and the work directory (drop them by hand), BENCH_SQLITE=0
# skips the SQLite import. A BENCH_BIN must be built with --features bench-baselines.
BENCH_NAME=import
BENCH_FEATURES=bench-baselines
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS=${BENCH_ROWS:-1000000}
OPENINGS=${BENCH_OPENINGS:-1000}
SINGLE=${BENCH_SINGLE_ROWS:-3000}
: > "$OUT/import.txt"
log "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; rows=$ROWS openings=$OPENINGS"

FILE="$WORK/applicants.csv"
"$BIN" gen applicants --rows "$ROWS" --openings "$OPENINGS" --seed 2024 --out "$FILE"
log "file: $(du -h "$FILE" | cut -f1), $(($(wc -l < "$FILE") - 1)) rows"

# --- a server on a fresh PostgreSQL database, with the 2024 rules, a round and the openings ---
create_database
start_server
python3 "$ROOT/bench/import_setup.py" "http://127.0.0.1:$PORT" "$ROOT/seed/rule-sets/casn-2024.json" "$OPENINGS" "$WORK"
ROUND=$(cat "$WORK/round"); HR_TOKEN=$(cat "$WORK/hr_token")

# --- baseline 1: psql \copy of the same file into an equivalent bare table ---
psql "$DBURL" -qc "CREATE TABLE bare_applicants (opening_code text, nik text, kk text, full_name text, birth_date text, sex text, region_of_origin text, email text, phone text, seat_group text, education_level text, education_field text, gpa_x100 integer, certificates text)"
T0=$(date +%s.%N)
psql "$DBURL" -qc "\\copy bare_applicants FROM '$FILE' WITH (FORMAT csv, HEADER true)"
T1=$(date +%s.%N)
COPY_RATE=$(python3 -c "print(round($ROWS/($T1-$T0)))")
log "psql \\copy: $(python3 -c "print(round($T1-$T0,1))") s, $COPY_RATE rows/s"
psql "$DBURL" -qc "DROP TABLE bare_applicants"

# --- the import, uploaded over HTTP to a freshly started server (peak RSS of that server) ---
stop_server; start_server
T0=$(date +%s.%N)
ID=$(curl -sf -X POST -H "authorization: Bearer $HR_TOKEN" -H 'content-type: text/csv' --data-binary "@$FILE" \
  "http://127.0.0.1:$PORT/api/v1/selection-rounds/$ROUND/application-imports?mode=valid_rows" | jq -r .id)
T_UP=$(date +%s.%N)
while :; do
  STATUS=$(curl -sf -H "authorization: Bearer $HR_TOKEN" "http://127.0.0.1:$PORT/api/v1/application-imports/$ID")
  case $(echo "$STATUS" | jq -r .status) in queued|running) sleep 1 ;; *) break ;; esac
done
T1=$(date +%s.%N)
RSS=$(awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status")
ACCEPTED=$(echo "$STATUS" | jq -r .rows_accepted)
IMPORT_RATE=$(python3 -c "print(round($ACCEPTED/($T1-$T0)))")
log "HTTP import (valid_rows): $(echo "$STATUS" | jq -c '{status,rows_read,rows_accepted,rows_rejected}')"
log "  upload $(python3 -c "print(round($T_UP-$T0,1))") s, total $(python3 -c "print(round($T1-$T0,1))") s, $IMPORT_RATE rows/s = $(python3 -c "print(round(100*$IMPORT_RATE/$COPY_RATE,1))")% of \\copy (target >= 25%)"
log "  server peak RSS (VmHWM): $((RSS / 1024)) MiB (target < 150 MB)"
stop_server

# --- the floor: the same rows transformed first (untimed), then binary COPY into the same tables,
# indexes and constraints, each on a fresh database with the same rule set, round and openings ---
FLOOR_DBS=()
extra_cleanup() {
  if [ "${BENCH_KEEP:-0}" = 1 ]; then return; fi
  for db in "${FLOOR_DBS[@]}"; do psql "$PGURL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
}
floor_run() { # $1: applications per transaction (0: one transaction)
  local db="${DB}_floor$1" main_url=$DATABASE_URL main_data=$DATA_DIR
  FLOOR_DBS+=("$db")
  psql "$PGURL" -qc "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="${PGURL%/*}/$db?sslmode=disable" DATA_DIR="$WORK/floor$1-data"
  ASN_MERIT_ADMIN_PASSWORD="Kopi-Tubruk-7-Pagi" "$BIN" create-admin --email bench@bench.go.id >/dev/null
  start_server
  mkdir -p "$WORK/floor$1"
  python3 "$ROOT/bench/import_setup.py" "$BASE" "$ROOT/seed/rule-sets/casn-2024.json" "$OPENINGS" "$WORK/floor$1"
  stop_server
  "$BIN" bench-import-floor "$FILE" --round "$(cat "$WORK/floor$1/round")" --batch "$1" > "$WORK/floor$1.out"
  export DATABASE_URL=$main_url DATA_DIR=$main_data
}
floor_run 0; read -r F_PERSONS F_APPS F_SKIPPED F_PREP F_WRITE < "$WORK/floor0.out"
FLOOR_RATE=$(python3 -c "print(round($F_APPS/$F_WRITE))")
log "floor, one COPY per table: $F_APPS applications, $F_PERSONS persons ($F_SKIPPED rows skipped) in $F_WRITE s (transformed first in $F_PREP s): $FLOOR_RATE rows/s"
floor_run 1000; read -r _ F1000_APPS _ _ F1000_WRITE < "$WORK/floor1000.out"
FLOOR1000_RATE=$(python3 -c "print(round($F1000_APPS/$F1000_WRITE))")
log "floor, COPY per 1,000 applications, a transaction each: $F1000_WRITE s: $FLOOR1000_RATE rows/s"
log "  import = $(python3 -c "print(round(100*$IMPORT_RATE/$FLOOR_RATE,1))")% of the floor (one COPY), $(python3 -c "print(round(100*$IMPORT_RATE/$FLOOR1000_RATE,1))")% of the floor per 1,000 (target >= 70%)"
start_server

# --- baseline 2: row at a time, one POST per application (same validation, audit) ---
python3 "$ROOT/bench/import_single.py" "http://127.0.0.1:$PORT" "$HR_TOKEN" "$WORK" "$SINGLE" > "$WORK/single_rate"
SINGLE_RATE=$(cat "$WORK/single_rate")
log "row at a time (POST per application, $SINGLE rows): $SINGLE_RATE rows/s; bulk import = $(python3 -c "print(round($IMPORT_RATE/$SINGLE_RATE,1))")x (target >= 10x)"
stop_server

if [ "${BENCH_SQLITE:-1}" = 0 ]; then exit 0; fi
# --- the same file on SQLite, with the operator's command ---
export DATABASE_URL="$WORK/sqlite.db" DATA_DIR="$WORK/sqlite-data"
ASN_MERIT_ADMIN_PASSWORD="Kopi-Tubruk-7-Pagi" "$BIN" create-admin --email bench@bench.go.id >/dev/null
start_server
python3 "$ROOT/bench/import_setup.py" "http://127.0.0.1:$PORT" "$ROOT/seed/rule-sets/casn-2024.json" "$OPENINGS" "$WORK/sqlite"
SQLITE_ROUND=$(cat "$WORK/sqlite/round")
stop_server
T0=$(date +%s.%N)
"$BIN" import applications "$FILE" --round "$SQLITE_ROUND" --mode valid_rows 2>/dev/null | tee -a "$OUT/import.txt"
T1=$(date +%s.%N)
log "SQLite import (CLI, valid_rows): $(python3 -c "print(round($T1-$T0,1))") s, $(python3 -c "print(round($ROWS/($T1-$T0)))") rows/s"
