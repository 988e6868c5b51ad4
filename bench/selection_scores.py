"""Deterministic SKD score CSV for the selection benchmark (bench/selection.sh).

  selection_scores.py NUMBERS OUT.csv [ABSENT_PER_MILLE]

NUMBERS: `registration_number,opening_id,seat_group`, one application a line (sorted by number, so
the same set of applications gives the same file). Writes `registration_number,TWK,TIU,TKP` for all but about ABSENT_PER_MILLE (30) per
thousand, who are absent (no row). Scores follow the 2024 point schemes (seed/rule-sets/
casn-2024.json): TWK 30 questions and TIU 35 questions at 5 points or 0 (multiples of 5 in
0..150 / 0..175), TKP 45 questions at 1..5 points (whole numbers, 45..225), with one ability
factor shared by the three, centred near the general minimums (TWK 65, TIU 80, TKP 166) so that
about a quarter of the general seat group passes, and narrow enough that many applicants tie on
the total. Ties on the whole tie-break chain (total, TKP, TIU, TWK) at a cut-off are rarer with
independent scores alone, so, to exercise the rule that they all go on, about 5% of applicants
get exactly the scores of an earlier applicant of the same opening and seat group. Prints rows
written and absent."""
import random, sys

numbers_path, out_path = sys.argv[1], sys.argv[2]
absent_per_mille = int(sys.argv[3]) if len(sys.argv) > 3 else 30
rng = random.Random(2024)


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


written = absent = 0
earlier = {}  # (opening, seat group) -> scores given so far
with open(numbers_path) as src, open(out_path, "w") as out:
    out.write("registration_number,TWK,TIU,TKP\n")
    for line in src:
        if not line.strip():
            continue
        number, opening, group = line.strip().split(",")
        if rng.random() * 1000 < absent_per_mille:
            absent += 1
            continue
        same = earlier.setdefault((opening, group), [])
        if same and rng.random() < 0.05:
            twk, tiu, tkp = rng.choice(same)
            out.write(f"{number},{twk},{tiu},{tkp}\n")
            written += 1
            continue
        ability = rng.gauss(0, 1)
        twk = 5 * clamp(round(17 + 3.5 * (0.6 * ability + 0.8 * rng.gauss(0, 1))), 0, 30)
        tiu = 5 * clamp(round(18 + 4.5 * (0.6 * ability + 0.8 * rng.gauss(0, 1))), 0, 35)
        tkp = clamp(round(164 + 7 * (0.5 * ability + 0.87 * rng.gauss(0, 1))), 45, 225)
        same.append((twk, tiu, tkp))
        out.write(f"{number},{twk},{tiu},{tkp}\n")
        written += 1
print(written, absent)
