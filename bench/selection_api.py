"""API side of the selection benchmark (bench/selection.sh), as the HR officer of import_setup.py.

  selection_api.py BASE WORK screen    close, start-screening, screening/run, screening/publish
  selection_api.py BASE WORK stage     lock-stage (screening), start-stage (SKD)
  selection_api.py BASE WORK results   GET .../stages/SKD/results of every opening into
                                       WORK/results.jsonl (one response body per line); prints
                                       the seconds it took

Every opening of WORK/openings, on a pool of BENCH_THREADS (4) keep-alive connections. Tokens live
15 minutes: a 401 logs in again (once per expiry, shared by the threads) and retries the call."""
import http.client, json, os, sys, threading, time, concurrent.futures
from urllib.parse import urlsplit

base, work, what = sys.argv[1], sys.argv[2], sys.argv[3]
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
EMAIL, PASSWORD = "hr@bench.go.id", "Kopi-Tubruk-7-Pagi"
host = urlsplit(base)
local = threading.local()
token_lock = threading.Lock()
token = {"value": open(os.path.join(work, "hr_token")).read().strip(), "generation": 0}


def conn():
    c = getattr(local, "conn", None)
    if c is None:
        c = local.conn = http.client.HTTPConnection(host.hostname, host.port, timeout=600)
    return c


def raw(method, path, body=None, bearer=None):
    """One request on this thread's keep-alive connection: (status, body bytes)."""
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = "Bearer " + bearer
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(2):
        try:
            c = conn()
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, ConnectionError):
            local.conn = None  # the server closed an idle keep-alive connection: reconnect once
            if attempt:
                raise


def login(seen_generation):
    with token_lock:
        if token["generation"] == seen_generation:  # nobody has refreshed it meanwhile
            status, body = raw("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
            if status != 200:
                raise SystemExit(f"login: {status} {body[:300]!r}")
            token["value"] = json.loads(body)["access_token"]
            token["generation"] += 1
            open(os.path.join(work, "hr_token"), "w").write(token["value"])


def call(method, path, ok=(200,), body=None):
    request = body
    while True:
        generation, bearer = token["generation"], token["value"]
        status, body = raw(method, path, request, bearer)
        if status == 401:
            login(generation)
            continue
        if status not in ok:
            raise SystemExit(f"{method} {path}: {status} {body[:500].decode(errors='replace')}")
        return body


openings = open(os.path.join(work, "openings")).read().split()


def run(task):
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for _ in pool.map(task, openings):
            pass


if what == "screen":
    def task(o):
        for step in ("close", "start-screening", "screening/run", "screening/publish"):
            call("POST", f"/api/v1/openings/{o}/{step}")
    run(task)
elif what == "stage":
    def task(o):
        for step, stage in (("lock-stage", "screening"), ("start-stage", "SKD")):
            call("POST", f"/api/v1/openings/{o}/{step}", body={"stage": stage})
    run(task)
elif what == "results":
    out = open(os.path.join(work, "results.jsonl"), "wb")
    out_lock = threading.Lock()

    def task(o):
        body = call("GET", f"/api/v1/openings/{o}/stages/SKD/results")
        with out_lock:
            out.write(body.rstrip(b"\n") + b"\n")
    t0 = time.monotonic()
    run(task)
    out.close()
    print(f"{time.monotonic() - t0:.3f}")
else:
    raise SystemExit(f"unknown step {what}")
