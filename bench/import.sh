#!/usr/bin/env bash
# Import benchmark (issue: openings and applications): 1,000,000 synthetic applicant rows imported
# on PostgreSQL, against `psql \copy` of the same file into an equivalent bare table and against
# the row-at-a-time path (one POST per application), in the same run; the server's peak RSS during
# an HTTP upload of the file; and the same import on SQLite. Results: bench/out/import.txt.
#
#   bash bench/import.sh                  # 1,000,000 rows (about 10 minutes on 2 cores)
#   BENCH_ROWS=100000 bash bench/import.sh
#
# Settings: BENCH_ROWS (1000000), BENCH_OPENINGS (1000), BENCH_SINGLE_ROWS rows for the
# row-at-a-time baseline (3000), BENCH_PGURL (postgres://postgres@127.0.0.1:5432/postgres; a role
# that may create databases), BENCH_BIN (a release binary; else cargo build --release),
# BENCH_KEEP=1 keeps the database and the work directory (drop them by hand).
BENCH_NAME=import
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

# --- baseline 2: row at a time, one POST per application (same validation, audit) ---
python3 "$ROOT/bench/import_single.py" "http://127.0.0.1:$PORT" "$HR_TOKEN" "$WORK" "$SINGLE" > "$WORK/single_rate"
SINGLE_RATE=$(cat "$WORK/single_rate")
log "row at a time (POST per application, $SINGLE rows): $SINGLE_RATE rows/s; bulk import = $(python3 -c "print(round($IMPORT_RATE/$SINGLE_RATE,1))")x (target >= 10x)"
stop_server

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
