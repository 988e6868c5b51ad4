#!/usr/bin/env bash
# Panel benchmark (issue: blind panel scoring): on PostgreSQL, with pgbench running the same SQL
# statements in the same run,
#   1. a panelist's queue (GET /api/v1/panels/{id}/queue?limit=200) for a stage of 2,000
#      applications and 9 panelists (2 scorers each: ~445 assignments per panelist), the 9
#      panelists' tokens in turn: requests/s and p99, against bench/panel_queue.sql;
#   2. score submission (POST /api/v1/panels/{id}/queue/{code}/score, with its audit event),
#      every request a new (panelist, application) pair of a second stage of BENCH_SUBMIT_APPS
#      applications: requests/s, against bench/panel_score.sql.
# Results: bench/out/panels.txt.
#
#   bash bench/panels.sh                       # ~4 minutes of set-up, 2 × 2 measured steps
#   BENCH_SECONDS=5 bash bench/panels.sh       # shorter steps
#
# Settings: BENCH_SECONDS per measured step (10), BENCH_CONNECTIONS wrk -c and pgbench -c (8),
# BENCH_THREADS wrk -t and pgbench -j (2), BENCH_SUBMIT_APPS (15000: 30,000 pairs, more than a
# step submits), BENCH_PGURL, BENCH_BIN, BENCH_KEEP=1 (see bench/lib.sh).
#
# Set-up over the API (bench/panels_setup.py), with the two SQL fixtures bench/selection.sh uses
# for waiting (the application window and the appeal window moved into the past): the 2024 rule
# set, openings QUE-00001 (2,000 generated applicants) and SUB-00001, screening, SKD with every
# passer going on (everyone passes), a blind panel stage WWN with a 2-criterion rubric, panels of
# the same 9 panelists (declared, the first chairs), stage material on every QUE application.
BENCH_NAME=panels
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
SUBMIT_APPS=${BENCH_SUBMIT_APPS:-15000}
QUEUE_APPS=2000
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(round($2-$1,1))"; }
echo >> "$OUT/panels.txt"
log "=== $(date -u '+%F %T UTC') commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; queue stage $QUEUE_APPS applications x 9 panelists, submission stage $SUBMIT_APPS; ${SECS}s steps, $CONNS connections, $THREADS threads; load average $(cut -d' ' -f1-3 /proc/loadavg)"
T0=$(now)
create_database
start_server
python3 "$ROOT/bench/panels_setup.py" "$BASE" "$WORK" setup "$ROOT/seed/rule-sets/casn-2024.json"
ROUND=$(cat "$WORK/round")
hr_token() {
  curl -sf -H 'content-type: application/json' -d '{"email":"hr@bench.go.id","password":"Kopi-Tubruk-7-Pagi"}' \
    "$BASE/api/v1/auth/login" | jq -r .access_token
}
import_file() { # file: an applications import over HTTP, waited for
  local token id status
  token=$(hr_token)
  id=$(curl -sf -X POST -H "authorization: Bearer $token" -H 'content-type: text/csv' --data-binary "@$1" \
    "$BASE/api/v1/selection-rounds/$ROUND/application-imports?mode=valid_rows" | jq -r .id)
  while :; do
    status=$(curl -sf -H "authorization: Bearer $token" "$BASE/api/v1/application-imports/$id" | jq -r .status)
    case $status in queued|running) sleep 1 ;; completed) return ;; *) echo "import $status"; exit 1 ;; esac
  done
}
"$BIN" gen applicants --rows "$QUEUE_APPS" --openings 1 --prefix QUE --seed 11 --out "$WORK/que.csv"
"$BIN" gen applicants --rows "$SUBMIT_APPS" --openings 1 --prefix SUB --seed 12 --out "$WORK/sub.csv"
import_file "$WORK/que.csv"
import_file "$WORK/sub.csv"
psql "$DBURL" -qc "UPDATE openings SET application_closes_at = now() - interval '1 second'" >/dev/null  # fixture: the window has ended
python3 "$ROOT/bench/panels_setup.py" "$BASE" "$WORK" screen
psql "$DBURL" -qc "UPDATE screening_publications SET published_at = published_at - interval '5 days', appeal_deadline = now() - interval '1 second'" >/dev/null  # fixture: the appeal window has ended
python3 "$ROOT/bench/panels_setup.py" "$BASE" "$WORK" skd
# SKD scores that every threshold set passes, for every admitted application.
{ echo "registration_number,TWK,TIU,TKP"
  psql "$DBURL" -At -c "SELECT a.registration_number || ',100,120,200' FROM applications a JOIN screening_results r ON r.application_id = a.id AND r.outcome = 'eligible'"; } > "$WORK/skd.csv"
curl -sf -X POST -H "authorization: Bearer $(hr_token)" -H 'content-type: text/csv' --data-binary "@$WORK/skd.csv" \
  "$BASE/api/v1/selection-rounds/$ROUND/scores?stage=SKD&mode=all_or_nothing" | jq -c '{rows_accepted, rows_rejected}' > "$WORK/skd_report.json"
QUE_OPENING=$(head -1 "$WORK/openings")
psql "$DBURL" -At -c "SELECT a.id FROM applications a JOIN screening_results r ON r.application_id = a.id AND r.outcome = 'eligible' WHERE a.opening_id = '$QUE_OPENING'" > "$WORK/que_applications"
python3 "$ROOT/bench/panels_setup.py" "$BASE" "$WORK" panels
QUE=$(sed -n 1p "$WORK/panels"); SUB=$(sed -n 2p "$WORK/panels")
# Vacuumed and analysed after the set-up writes, so that autovacuum does not land in one step.
psql "$DBURL" -qc "VACUUM (ANALYZE)" >/dev/null
log "set-up: $(jq -c . "$WORK/skd_report.json") SKD rows; panels $(psql "$DBURL" -At -c "SELECT string_agg(p.stage_code || ' of ' || o.code || ': ' || (SELECT count(*) FROM panel_assignments a WHERE a.panel_id = p.id AND a.recused_at IS NULL) || ' assignments, status ' || p.status, '; ') FROM panels p JOIN openings o ON o.id = p.opening_id") in $(secs "$T0" "$(now)") s"

cut -f2 "$WORK/panelists" > "$WORK/tokens"
# Every (token, code) pair of the submission stage, shuffled: each request submits a new score.
psql "$DBURL" -At -F $'\t' -c "SELECT a.user_id, e.panel_code FROM panel_assignments a JOIN panel_entries e ON e.panel_id = a.panel_id AND e.application_id = a.application_id WHERE a.panel_id = '$SUB' AND a.recused_at IS NULL ORDER BY md5(e.panel_code || a.user_id)" > "$WORK/sub_pairs_ids"
python3 - "$WORK" <<'PY'
import sys, os
work = sys.argv[1]
tokens = dict(line.split("\t") for line in open(os.path.join(work, "panelists")).read().splitlines())
with open(os.path.join(work, "sub_pairs"), "w") as out:
    for line in open(os.path.join(work, "sub_pairs_ids")):
        user, code = line.rstrip("\n").split("\t")
        out.write(f"{tokens[user]}\t{code}\n")
PY
PAIRS=$(wc -l < "$WORK/sub_pairs")

wrk_step() { # name url: wrk for SECS, its BENCH line into the log
  local name=$1 url=$2
  wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" --latency -s "$ROOT/bench/wrk.lua" "$url" > "$WORK/$name.wrk" 2>&1
  local line; line=$(grep '^BENCH ' "$WORK/$name.wrk") || { cat "$WORK/$name.wrk"; exit 1; }
  log "$name: $line" >&2
  echo "$line"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
pgbench_step() { # name pgbench-flags...: pgbench for SECS on the server's database
  local name=$1; shift
  pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECS" "$@" "$DBURL" > "$WORK/$name.pgbench" 2>&1 || { cat "$WORK/$name.pgbench"; exit 1; }
  local tps; tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$WORK/$name.pgbench")
  local lat; lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/$name.pgbench")
  log "$name: tps=$tps latency_avg_ms=$lat failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/$name.pgbench")" >&2
  echo "$tps"
}

# --- 1. the queue ---
export WRK_MODE=panel_queue WRK_TOKENS="$WORK/tokens"
QUEUE_URL="$BASE/api/v1/panels/$QUE/queue?limit=200"
for t in $(cat "$WORK/tokens"); do  # each panelist's queue answers, with 200 items
  n=$(curl -sf -H "authorization: Bearer $t" "$QUEUE_URL" | jq '.items | length'); [ "$n" = 200 ] || { echo "queue gave $n items"; exit 1; }
done
wrk -t 1 -c 2 -d 2s -s "$ROOT/bench/wrk.lua" "$QUEUE_URL" >/dev/null 2>&1  # warm-up
QUEUE_LINE=$(wrk_step queue "$QUEUE_URL")
MEMBERS=$(psql "$DBURL" -At -c "SELECT string_agg(user_id::text, ' ' ORDER BY user_id) FROM panel_members WHERE panel_id = '$QUE'")
QUEUE_SCRIPTS=()
for m in $MEMBERS; do
  APPS=$(psql "$DBURL" -At -c "SELECT '{' || string_agg(application_id::text, ',' ORDER BY panel_code) || '}' FROM (SELECT e.application_id, e.panel_code FROM panel_assignments a JOIN panel_entries e USING (panel_id, application_id) WHERE a.panel_id = '$QUE' AND a.user_id = '$m' AND a.recused_at IS NULL ORDER BY e.panel_code LIMIT 200) t")
  sed -e "s/:panel/'$QUE'/g" -e "s/:user/'$m'/g" -e "s/:applications/'$APPS'/g" "$ROOT/bench/panel_queue.sql" > "$WORK/queue-$m.sql"
  QUEUE_SCRIPTS+=(-f "$WORK/queue-$m.sql")
done
pgbench -n -M prepared -c 2 -j 1 -T 2 "${QUEUE_SCRIPTS[@]}" "$DBURL" >/dev/null 2>&1  # warm-up
QUEUE_TPS=$(pgbench_step queue_sql "${QUEUE_SCRIPTS[@]}")

# --- 2. score submission ---
export WRK_MODE=panel_score WRK_PAIRS="$WORK/sub_pairs" WRK_PANEL="$SUB" WRK_THREADS="$THREADS"
SCORE_LINE=$(wrk_step score "$BASE/")
SUBMITTED=$(psql "$DBURL" -At -c "SELECT count(*) FROM panel_scores WHERE panel_id = '$SUB'")
EVENTS=$(psql "$DBURL" -At -c "SELECT count(*) FROM audit_events WHERE action = 'panel.score_submitted'")
log "score: $SUBMITTED scores and $EVENTS panel.score_submitted events written of $PAIRS pairs"
[ "$(field "$SCORE_LINE" non2xx)" = 0 ] || { echo "score submissions failed"; exit 1; }
(( SUBMITTED < PAIRS )) || { echo "the step ran out of pairs: raise BENCH_SUBMIT_APPS"; exit 1; }
stop_server
# The floor draws its (panelist, application) pair per transaction from the same assignments.
psql "$DBURL" -qc "CREATE TABLE bench_pairs AS SELECT row_number() OVER (ORDER BY e.panel_code, a.user_id) AS n, a.user_id, a.application_id, e.panel_code FROM panel_assignments a JOIN panel_entries e USING (panel_id, application_id) WHERE a.panel_id = '$SUB' AND a.recused_at IS NULL; ALTER TABLE bench_pairs ADD PRIMARY KEY (n); ANALYZE bench_pairs" >/dev/null
SCORE_TPS=$(pgbench_step score_sql -f "$ROOT/bench/panel_score.sql" -D panel="$SUB" -D pairs="$PAIRS")

ratio() { python3 -c "print(round(100*$1/$2,1))"; }
log "RESULT queue (2,000 applications, 9 panelists, limit=200): $(field "$QUEUE_LINE" rps) rps, p99 $(python3 -c "print(round($(field "$QUEUE_LINE" p99_us)/1000,2))") ms; the same statements in pgbench: $QUEUE_TPS tps; API = $(ratio "$(field "$QUEUE_LINE" rps)" "$QUEUE_TPS") % of pgbench"
log "RESULT score submission (with its audit event): $(field "$SCORE_LINE" rps) rps, p99 $(python3 -c "print(round($(field "$SCORE_LINE" p99_us)/1000,2))") ms; the same statements in pgbench: $SCORE_TPS tps; API = $(ratio "$(field "$SCORE_LINE" rps)" "$SCORE_TPS") % of pgbench (target >= 40 %)"
log "commands: wrk -t $THREADS -c $CONNS -d ${SECS}s --latency -s bench/wrk.lua (WRK_MODE=panel_queue | panel_score); pgbench -n -M prepared -c $CONNS -j $THREADS -T $SECS -f bench/panel_queue.sql (one script per panelist) | -f bench/panel_score.sql"
