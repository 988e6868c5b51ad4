"""Independent check of the SKD stage results of the selection benchmark (bench/selection.sh).

  selection_check.py DBURL SEED.json RESULTS.jsonl WORK

Computes pass/fail, rank and who goes on for every admitted application in one SQL query with
window functions, written from the rule set's seed file (not from the server's code):
  - passed: the minimums of the threshold set that lists the application's seat group (general:
    each subtest; cum laude/diaspora and affirmative groups: the total and TIU); no set = fail;
  - rank: RANK() among the passers of the opening and seat group, ordered by the tie-break chain
    (total, TKP, TIU, TWK), highest first, so equals on the whole chain share a rank;
  - goes_on: passed and rank <= multiplier x seats of the seat group (RANK() counts everyone
    strictly better, so those tied with the last place inside the cut-off go on too); the
    multiplier is the opening's SKD `advance` (multiple_of_quota), else the rule set's;
  - absent: admitted, no score row (not passed, no rank, not going on).
Then compares every row of the API's results (RESULTS.jsonl: one GET .../stages/SKD/results body
a line) with it: same set of registration numbers, same opening, seat group, absent, total,
passed, rank and goes_on. Prints a summary; exits 1 with examples on any mismatch."""
import csv, json, subprocess, sys, time
from collections import Counter, defaultdict

dburl, seed_path, results_path, work = sys.argv[1:5]
rules = json.load(open(seed_path))["rules"]
subtests = [s["code"] for s in rules["skd"]["subtests"]]
STAGE = "SKD"


def col(code):
    return "total" if code == "total" else f'"{code}"'


def quote(s):
    return "'" + s.replace("'", "''") + "'"


# --- the query, from the seed ---
score_cols = ",\n    ".join(f"(s.scores::json->>{quote(c)})::int AS \"{c}\"" for c in subtests)
total_expr = " + ".join(f'"{c}"' for c in subtests)
cases = []
for ts in rules["threshold_sets"]:
    conds = [f'"{c}" >= {m}' for c, m in sorted(ts.get("subtest_minimums", {}).items())]
    if ts.get("total_minimum") is not None:
        conds.append(f"total >= {ts['total_minimum']}")
    groups = ", ".join(quote(g) for g in ts["seat_groups"])
    cases.append(f"WHEN seat_group IN ({groups}) THEN {' AND '.join(conds) or 'true'}")
order = ", ".join(f"{col(k)} DESC" for k in rules["skd"]["tie_break"])
SQL = f"""
WITH seats AS (
  SELECT o.id AS opening_id, g->>'group' AS seat_group, (g->>'seats')::int AS seats,
         COALESCE((SELECT (st->'advance'->>'multiplier')::int
                     FROM json_array_elements(o.plan::json->'stages') st
                    WHERE st->>'code' = {quote(STAGE)} AND st->'advance'->>'kind' = 'multiple_of_quota'),
                  {int(rules['advance_multiplier'])}) AS multiplier
    FROM openings o, json_array_elements(o.seat_groups::json) g
), admitted AS (
  SELECT a.opening_id, a.registration_number, a.seat_group, s.scores IS NULL AS absent,
    {score_cols}
    FROM applications a
    JOIN screening_results r ON r.application_id = a.id AND r.outcome = 'eligible'
    LEFT JOIN objective_scores s ON s.application_id = a.id AND s.stage_code = {quote(STAGE)}
   WHERE a.status <> 'withdrawn'
), judged AS (
  SELECT *, CASE WHEN absent THEN false {' '.join(cases)} ELSE false END AS passed
    FROM (SELECT *, {total_expr} AS total FROM admitted) t
), ranked AS (
  SELECT *, CASE WHEN passed THEN RANK() OVER (PARTITION BY opening_id, seat_group, passed ORDER BY {order}) END AS rank
    FROM judged
)
SELECT r.opening_id, r.registration_number, r.seat_group, r.absent, r.total, r.passed, r.rank,
       COALESCE(r.passed AND r.rank <= s.multiplier * s.seats, false) AS goes_on
  FROM ranked r LEFT JOIN seats s USING (opening_id, seat_group)
"""
open(f"{work}/selection_check.sql", "w").write(SQL)

t0 = time.monotonic()
sql_csv = f"{work}/sql_results.csv"
with open(sql_csv, "w") as out:
    subprocess.run(["psql", dburl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    f"COPY ({SQL}) TO STDOUT WITH (FORMAT csv)"], stdout=out, check=True)
sql_seconds = time.monotonic() - t0

B = {"t": True, "f": False}
sql = {}
for opening, number, group, absent, total, passed, rank, goes_on in csv.reader(open(sql_csv)):
    sql[number] = (opening, group, B[absent], int(total) if total else None, B[passed],
                   int(rank) if rank else None, B[goes_on])

FIELDS = ("opening", "seat_group", "absent", "total", "passed", "rank", "goes_on")
mismatches = defaultdict(list)
seen = set()
stats = Counter()
straddling = 0
for line in open(results_path):
    page = json.loads(line)
    opening = page["opening_id"]
    going = Counter()
    for it in page["items"]:
        number = it["registration_number"]
        api = (opening, it["seat_group"], it["scores"] is None, it["total"], it["passed"],
               it["rank"], it["goes_on"])
        if number in seen:
            mismatches["duplicate in the API"].append((number, dict(zip(FIELDS, api))))
            continue
        seen.add(number)
        stats["rows"] += 1
        stats["absent"] += api[2]
        stats["passed"] += api[4]
        stats["goes_on"] += api[6]
        going[it["seat_group"]] += api[6]
        mine = sql.get(number)
        if mine is None:
            mismatches["in the API only"].append((number, dict(zip(FIELDS, api))))
        elif mine != api:
            diff = [f for f, a, b in zip(FIELDS, api, mine) if a != b]
            mismatches[", ".join(diff)].append((number, {"api": dict(zip(FIELDS, api)), "sql": dict(zip(FIELDS, mine))}))
    straddling += sum(1 for g, n in going.items() if n > page["multiplier"] * page["seats"].get(g, 0))
for number in sql.keys() - seen:
    mismatches["in the SQL only"].append((number, dict(zip(FIELDS, sql[number]))))

bad = sum(len(v) for v in mismatches.values())
print(f"sql_seconds={sql_seconds:.1f} sql_rows={len(sql)} api_rows={stats['rows']} compared={len(seen & sql.keys())} "
      f"mismatches={bad} absent={stats['absent']} passed={stats['passed']} goes_on={stats['goes_on']} "
      f"seat_groups_with_a_tie_over_the_cutoff={straddling}")
for kind, rows in mismatches.items():
    print(f"MISMATCH ({kind}): {len(rows)} rows, e.g.")
    for number, detail in rows[:3]:
        print(f"  {number}: {json.dumps(detail)}")
sys.exit(1 if bad else 0)
