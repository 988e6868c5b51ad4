"""Sets up an import benchmark over the API: agency, HR officer, the 2024 rule set, a round, a
position and N published openings GEN-00001.. (the codes `asn-merit gen applicants` uses)."""
import json, os, sys, urllib.request, concurrent.futures
from datetime import datetime, timedelta, timezone

base, seed_path, openings, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(work, exist_ok=True)

def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")

admin = call("POST", "/api/v1/auth/login", {"email": "bench@bench.go.id", "password": "Kopi-Tubruk-7-Pagi"})["access_token"]
agency = call("POST", "/api/v1/agencies", {"code": "BENCH", "name": "Instansi Bench", "level": "central", "time_zone": "WIB"}, admin)["id"]
rule_set = call("POST", "/api/v1/rule-sets", json.load(open(seed_path)), admin)["id"]
round_ = call("POST", "/api/v1/selection-rounds", {"name": "CASN 2024", "year": 2024, "kind": "cpns", "rule_set_id": rule_set}, admin)["id"]
hr = call("POST", "/api/v1/users", {"email": "hr@bench.go.id", "full_name": "HR Bench", "role": "hr_officer", "agency_id": agency}, admin)
call("POST", "/api/v1/auth/activate", {"token": hr["activation"]["token"], "password": "Kopi-Tubruk-7-Pagi"})
token = call("POST", "/api/v1/auth/login", {"email": "hr@bench.go.id", "password": "Kopi-Tubruk-7-Pagi"})["access_token"]
position = call("POST", "/api/v1/positions", {"code": "PRAKOM", "title": "Pranata Komputer", "kind": "functional", "grade": 8, "standard": []}, token)["id"]
now = datetime.now(timezone.utc)
groups = [{"group": g, "seats": s} for g, s in [("general", 2), ("cum_laude", 1), ("diaspora", 1), ("disability", 1), ("papua", 1), ("disadvantaged_region", 1)]]
plan = {"stages": [
    {"code": "ADM", "name": "Administrasi", "kind": "administrative", "weight_percent": 0},
    {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40, "advance": {"kind": "multiple_of_quota", "multiplier": 3}},
    {"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60, "score_min": 0, "score_max": 100,
     "parts": [{"code": "CAT-SKB", "name": "CAT SKB", "kind": "cat_skb", "weight_percent": 100, "score_min": 0, "score_max": 500}]}]}

def opening(i):
    body = {"round_id": round_, "position_id": position, "code": f"GEN-{i:05d}", "unit": "Unit", "location": "Jakarta",
            "kind": "recruitment", "seat_groups": groups, "eligibility": {},
            "application_opens_at": (now - timedelta(days=1)).isoformat(), "application_closes_at": (now + timedelta(days=30)).isoformat(),
            "plan": plan}
    o = call("POST", "/api/v1/openings", body, token)
    call("POST", f"/api/v1/openings/{o['id']}/publish", None, token)
    return o["id"]

with concurrent.futures.ThreadPoolExecutor(4) as pool:
    ids = list(pool.map(opening, range(1, openings + 1)))
for name, value in [("round", round_), ("hr_token", token), ("openings", "\n".join(ids))]:
    open(os.path.join(work, name), "w").write(value)
