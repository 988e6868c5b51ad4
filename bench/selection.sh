#!/usr/bin/env bash
# Selection benchmark (issue: score import, pass/fail and who goes on): SKD scores for 1,000,000
# applications across 10,000 openings imported over HTTP, then the stage results of every opening
# fetched, timed; the server's peak RSS meanwhile; and every result row checked against an
# independent SQL computation with window functions. Results: bench/out/selection.txt.
#
#   bash bench/selection.sh                                        # 1,000,000 / 10,000 (~30 minutes on 2 cores)
#   BENCH_ROWS=20000 BENCH_OPENINGS=200 bash bench/selection.sh    # quick
#
# Settings: BENCH_ROWS (1000000), BENCH_OPENINGS (10000), BENCH_THREADS client threads for the
# per-opening calls (4), BENCH_ABSENT_PER_MILLE applicants without a score (30), BENCH_PGURL
# (postgres://postgres@127.0.0.1:5432/postgres; a role that may create databases), BENCH_BIN (a
# release binary; else cargo build --release), BENCH_KEEP=1 keeps the database and the work
# directory for a look afterwards (drop them by hand).
#
# Set-up (not timed; its duration is logged): generate the applicants, create the openings over the
# API (bench/import_setup.py: seat groups general 2, the five special groups 1 each, SKD advance
# 3 x quota, no eligibility requirements so everyone passes screening), import them, and bring
# every opening to the SKD stage over the API: close, start-screening, screening/run,
# screening/publish, lock-stage, start-stage. Two SQL fixtures stand in for waiting: the
# application window is moved into the past before close, and the appeal window (published_at,
# appeal_deadline) before lock-stage. Then a deterministic score CSV (bench/selection_scores.py).
BENCH_NAME=selection
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS=${BENCH_ROWS:-1000000}
OPENINGS=${BENCH_OPENINGS:-10000}
ABSENT=${BENCH_ABSENT_PER_MILLE:-30}
ANALYZER=""
extra_cleanup() { [ -n "$ANALYZER" ] && kill "$ANALYZER" 2>/dev/null || true; }
now() { date +%s.%N; }
secs() { python3 -c "print(round($2-$1,1))"; }
echo >> "$OUT/selection.txt"
log "=== $(date -u '+%F %T UTC') commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; rows=$ROWS openings=$OPENINGS; autovacuum $(psql "$PGURL" -Atc 'SHOW autovacuum'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
SETUP0=$(now)

FILE="$WORK/applicants.csv"
"$BIN" gen applicants --rows "$ROWS" --openings "$OPENINGS" --seed 2024 --out "$FILE"
log "set-up: applicants file $(du -h "$FILE" | cut -f1), $(($(wc -l < "$FILE") - 1)) rows"

# --- a server on a fresh PostgreSQL database, with the 2024 rules, a round and the openings ---
create_database
# Planner statistics after each bulk step, as autovacuum would gather them between steps that in
# real life are days apart (it may be off on a test machine; the run's header says).
analyze() { psql "$DBURL" -qc "ANALYZE" >/dev/null; }
analyze_every_30s() { while sleep 30; do analyze; done; }
hr_login() {
  curl -sf -H 'content-type: application/json' -d '{"email":"hr@bench.go.id","password":"Kopi-Tubruk-7-Pagi"}' \
    "$BASE/api/v1/auth/login" | jq -r .access_token > "$WORK/hr_token"
}
start_server
T0=$(now)
python3 "$ROOT/bench/import_setup.py" "$BASE" "$ROOT/seed/rule-sets/casn-2024.json" "$OPENINGS" "$WORK"
ROUND=$(cat "$WORK/round")
log "set-up: $OPENINGS openings created and published over the API in $(secs "$T0" "$(now)") s"

# --- the applications, imported over HTTP ---
T0=$(now)
hr_login
ID=$(curl -sf -X POST -H "authorization: Bearer $(cat "$WORK/hr_token")" -H 'content-type: text/csv' --data-binary "@$FILE" \
  "$BASE/api/v1/selection-rounds/$ROUND/application-imports?mode=valid_rows" | jq -r .id)
while :; do
  STATUS=$(curl -s -H "authorization: Bearer $(cat "$WORK/hr_token")" "$BASE/api/v1/application-imports/$ID")
  if [ "$(echo "$STATUS" | jq -r '.id // empty')" = "" ]; then hr_login; continue; fi  # token expired
  case $(echo "$STATUS" | jq -r .status) in queued|running) sleep 2 ;; *) break ;; esac
done
log "set-up: applications import $(echo "$STATUS" | jq -c '{status,rows_read,rows_accepted,rows_rejected}') in $(secs "$T0" "$(now)") s"
[ "$(echo "$STATUS" | jq -r .status)" = completed ] || { echo "import did not complete"; exit 1; }

# --- every opening to the SKD stage ---
T0=$(now)
psql "$DBURL" -qc "UPDATE openings SET application_closes_at = now() - interval '1 second'" >/dev/null  # fixture: the window has ended
hr_login
analyze_every_30s & ANALYZER=$!  # the screening results grow from nothing to a million rows here
python3 "$ROOT/bench/selection_api.py" "$BASE" "$WORK" screen
kill "$ANALYZER"; ANALYZER=""
log "set-up: close, start-screening, screening/run, screening/publish for $OPENINGS openings in $(secs "$T0" "$(now)") s"
analyze
T0=$(now)
psql "$DBURL" -qc "UPDATE screening_publications SET published_at = published_at - interval '5 days', appeal_deadline = now() - interval '1 second'" >/dev/null  # fixture: the appeal window has ended
python3 "$ROOT/bench/selection_api.py" "$BASE" "$WORK" stage
log "set-up: lock-stage, start-stage for $OPENINGS openings in $(secs "$T0" "$(now)") s"
analyze
log "set-up: $(psql "$DBURL" -Atc "SELECT count(*) FILTER (WHERE outcome = 'eligible') || ' admitted, ' || count(*) FILTER (WHERE outcome <> 'eligible') || ' not' FROM screening_results"); openings $(psql "$DBURL" -Atc "SELECT string_agg(status || ' stage ' || coalesce(current_stage::text, '-') || ': ' || n, ', ') FROM (SELECT status, current_stage, count(*) n FROM openings GROUP BY 1, 2) t")"

# --- the scores: every admitted application, but a few percent absent ---
T0=$(now)
psql "$DBURL" -AtF, -c "SELECT a.registration_number, a.opening_id, a.seat_group FROM applications a JOIN screening_results r ON r.application_id = a.id AND r.outcome = 'eligible' WHERE a.status <> 'withdrawn' ORDER BY 1" > "$WORK/numbers"
read -r SCORED ABSENTEES < <(python3 "$ROOT/bench/selection_scores.py" "$WORK/numbers" "$WORK/scores.csv" "$ABSENT")
log "set-up: scores.csv $(du -h "$WORK/scores.csv" | cut -f1), $SCORED rows, $ABSENTEES absent, in $(secs "$T0" "$(now)") s"
log "set-up total: $(secs "$SETUP0" "$(now)") s"

# --- TIMED: the score import, on a freshly started server (peak RSS of that server) ---
stop_server; start_server
hr_login
T0=$(now)
curl -sf -X POST -H "authorization: Bearer $(cat "$WORK/hr_token")" -H 'content-type: text/csv' --data-binary "@$WORK/scores.csv" \
  "$BASE/api/v1/selection-rounds/$ROUND/scores?stage=SKD&mode=all_or_nothing" > "$WORK/score_report.json"
T1=$(now)
RSS_IMPORT=$(awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status")
log "score import (all_or_nothing): $(jq -c '{rows_read,rows_accepted,rows_rejected,recorded}' "$WORK/score_report.json")"
[ "$(jq -r .rows_rejected "$WORK/score_report.json")" = 0 ] && [ "$(jq -r .rows_accepted "$WORK/score_report.json")" = "$SCORED" ] \
  || { echo "score import rejected rows:"; jq -c '.errors[:5]' "$WORK/score_report.json"; exit 1; }
IMPORT_S=$(secs "$T0" "$T1")
log "  TIMED score import: $IMPORT_S s, $(python3 -c "print(round($SCORED/($T1-$T0)))") rows/s; server peak RSS so far $((RSS_IMPORT / 1024)) MiB"

# --- TIMED: the results of every opening ---
hr_login
RESULTS_S=$(python3 "$ROOT/bench/selection_api.py" "$BASE" "$WORK" results)
RSS=$(awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status")
RESULT_ROWS=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['items']) for l in open(sys.argv[1])))" "$WORK/results.jsonl")
log "  TIMED results of $OPENINGS openings (GET .../stages/SKD/results, ${BENCH_THREADS:-4} threads): $(python3 -c "print(round($RESULTS_S,1))") s, $RESULT_ROWS rows, $(python3 -c "print(round($RESULT_ROWS/$RESULTS_S))") rows/s, $(python3 -c "print(round($OPENINGS/$RESULTS_S,1))") openings/s; $(du -h "$WORK/results.jsonl" | cut -f1) of JSON"
log "  TIMED total (import + results): $(python3 -c "print(round($IMPORT_S+$RESULTS_S,1))") s"
log "  server peak RSS (VmHWM) over the import and the results: $((RSS / 1024)) MiB"
stop_server

# --- the check: every row against window functions in SQL ---
if python3 "$ROOT/bench/selection_check.py" "$DBURL" "$ROOT/seed/rule-sets/casn-2024.json" "$WORK/results.jsonl" "$WORK" > "$WORK/check.txt"; then
  CHECK=0
else
  CHECK=$?
fi
while read -r line; do log "check: $line"; done < "$WORK/check.txt"
exit "$CHECK"
