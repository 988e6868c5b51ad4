"""The accounts of a schemathesis run (tests/fuzz/schemathesis.sh): an agency and its HR
officer, created through the API by the admin whose token is in FUZZ_ADMIN_TOKEN, so that the
agency-scoped operations (openings, applications, positions, imports) are tried by the role that
may call them and not only refused to the national admin. Prints shell assignments."""

import json
import os
import secrets
import sys
import urllib.request

BASE = sys.argv[1]


def call(method, path, token=None, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


admin = os.environ["FUZZ_ADMIN_TOKEN"]
agency = call("POST", "/api/v1/agencies", admin,
              {"code": "FUZZ", "name": "Badan Uji", "level": "central", "time_zone": "WIB"})
email = "hr@fuzz.asn-merit.test"
created = call("POST", "/api/v1/users", admin,
               {"email": email, "full_name": "Petugas SDM", "role": "hr_officer", "agency_id": agency["id"]})
password = "Uji-" + secrets.token_hex(12) + "-Aa1"
call("POST", "/api/v1/auth/activate", None, {"token": created["activation"]["token"], "password": password})
hr = call("POST", "/api/v1/auth/login", None, {"email": email, "password": password})
print(f"FUZZ_HR_TOKEN={hr['access_token']}")
print(f"FUZZ_HR_ID={created['user']['id']}")
