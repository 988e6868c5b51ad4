"""Set-up of the panel benchmark (bench/panels.sh) over the API, in phases:

  panels_setup.py BASE WORK setup      agency, HR officer, the 2024 rule set, a round, a position,
                                       openings QUE-00001 and SUB-00001 (screening, SKD with every
                                       passer going on, a blind panel stage WWN), a rubric and
                                       9 panelists (tokens in WORK/panelists)
  panels_setup.py BASE WORK screen     close, start-screening, screening/run, screening/publish
  panels_setup.py BASE WORK skd        lock-stage screening, start-stage SKD
  panels_setup.py BASE WORK panels     lock-stage SKD, the two panels with the 9 members (the first
                                       chairs), their declarations, stage material for every
                                       application of QUE-00001, start-stage WWN
"""
import concurrent.futures, json, os, sys, urllib.request
from datetime import datetime, timedelta, timezone

base, work, phase = sys.argv[1], sys.argv[2], sys.argv[3]
PASSWORD = "Kopi-Tubruk-7-Pagi"


def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()[:500]}")


def login(email):
    return call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]


def saved(name, value=None):
    path = os.path.join(work, name)
    if value is None:
        return open(path).read()
    open(path, "w").write(value)


if phase == "setup":
    admin = login("bench@bench.go.id")
    agency = call("POST", "/api/v1/agencies", {"code": "BENCH", "name": "Instansi Bench", "level": "central", "time_zone": "WIB"}, admin)["id"]
    rule_set = call("POST", "/api/v1/rule-sets", json.load(open(sys.argv[4])), admin)["id"]
    round_ = call("POST", "/api/v1/selection-rounds", {"name": "CASN 2024", "year": 2024, "kind": "cpns", "rule_set_id": rule_set}, admin)["id"]

    def user(email, role):
        u = call("POST", "/api/v1/users", {"email": email, "full_name": email.split("@")[0], "role": role, "agency_id": agency}, admin)
        call("POST", "/api/v1/auth/activate", {"token": u["activation"]["token"], "password": PASSWORD})
        return u["user"]["id"]

    user("hr@bench.go.id", "hr_officer")
    hr = login("hr@bench.go.id")
    position = call("POST", "/api/v1/positions", {"code": "PRAKOM", "title": "Pranata Komputer", "kind": "functional", "grade": 8, "standard": []}, hr)["id"]
    now = datetime.now(timezone.utc)
    groups = [{"group": g, "seats": s} for g, s in [("general", 2), ("cum_laude", 1), ("diaspora", 1), ("disability", 1), ("papua", 1), ("disadvantaged_region", 1)]]
    plan = {"stages": [
        {"code": "ADM", "name": "Administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40, "advance": {"kind": "all_passers"}},
        {"code": "WWN", "name": "Wawancara", "kind": "panel", "weight_percent": 60, "score_min": 0, "score_max": 100,
         "panel": {"min_scorers": 2, "blind": True, "aggregate": "mean"}}]}
    openings = []
    for code in ("QUE-00001", "SUB-00001"):
        body = {"round_id": round_, "position_id": position, "code": code, "unit": "Unit", "location": "Jakarta",
                "kind": "recruitment", "seat_groups": groups, "eligibility": {},
                "application_opens_at": (now - timedelta(days=1)).isoformat(), "application_closes_at": (now + timedelta(days=30)).isoformat(),
                "plan": plan}
        o = call("POST", "/api/v1/openings", body, hr)
        call("POST", f"/api/v1/openings/{o['id']}/publish", None, hr)
        openings.append(o["id"])
    levels = lambda what: [{"level": l, "descriptor": f"{what}: level {l} as anchored"} for l in range(1, 6)]
    rubric = call("POST", "/api/v1/rubrics", {"code": "WWN-2024", "name": "Wawancara", "scale_min": 1, "scale_max": 5, "criteria": [
        {"code": "INTEGRITY", "name": "Integritas", "weight": 60, "levels": levels("integrity")},
        {"code": "TEAMWORK", "name": "Kerja sama", "weight": 40, "levels": levels("teamwork")}]}, hr)["id"]
    panelists = []
    for i in range(1, 10):
        email = f"panelist-{i}@bench.go.id"
        panelists.append((user(email, "panelist"), login(email)))
    saved("round", round_)
    saved("openings", "\n".join(openings))
    saved("rubric", rubric)
    saved("panelists", "\n".join(f"{uid}\t{token}" for uid, token in panelists))
    sys.exit(0)

hr = login("hr@bench.go.id")
openings = saved("openings").split()


def each_opening(steps):
    for o in openings:
        for method, action, body in steps:
            call(method, f"/api/v1/openings/{o}/{action}", body, hr)


if phase == "screen":
    each_opening([("POST", a, None) for a in ("close", "start-screening", "screening/run", "screening/publish")])
elif phase == "skd":
    each_opening([("POST", "lock-stage", {"stage": "screening"}), ("POST", "start-stage", {"stage": "SKD"})])
elif phase == "panels":
    each_opening([("POST", "lock-stage", {"stage": "SKD"})])
    members = [line.split("\t") for line in saved("panelists").splitlines()]
    panels = []
    for o in openings:
        p = call("POST", f"/api/v1/openings/{o}/panels", {"stage_code": "WWN", "rubric_id": saved("rubric")}, hr)["id"]
        for i, (uid, token) in enumerate(members):
            call("POST", f"/api/v1/panels/{p}/members", {"user_id": uid, "chair": i == 0}, hr)
        for uid, token in members:
            call("PUT", f"/api/v1/panels/{p}/declaration", {"relations": [], "ties": [{"kind": "school", "name": "Universitas Indonesia"}]}, token)
        panels.append(p)
    que_apps = [line for line in open(os.path.join(work, "que_applications")).read().split() if line]
    material = lambda app: {"answers": [{"prompt": "Ceritakan saat Anda menolak gratifikasi.",
                                          "text": "Saya menolak bingkisan dari vendor dan melaporkannya ke atasan. " * 6}],
                            "work_samples": [{"title": "Rencana kerja unit", "reference": f"DOC-{app[:8]}"}]}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda a: call("PUT", f"/api/v1/panels/{panels[0]}/applications/{a}/material", material(a), hr), que_apps))
    each_opening([("POST", "start-stage", {"stage": "WWN"})])
    saved("panels", "\n".join(panels))
