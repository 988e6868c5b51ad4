"""Row-at-a-time baseline: N applications, each its own POST (one connection, sequential);
prints rows per second. Applicants get NIKs the generated file does not use (region 990101)."""
import http.client, json, sys, time, urllib.parse

base, token, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
opening = open(f"{work}/openings").read().split()[0]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
start = time.time()
for i in range(n):
    body = {"nik": f"990101450699{i % 10000:04d}" if i < 10000 else f"9901{i // 10000:02d}450699{i % 10000:04d}",
            "kk": f"9901010101{i:06d}", "full_name": f"Pelamar Uji {i}", "birth_date": "1999-06-05", "sex": "female",
            "region_of_origin": "Jawa Barat", "email": f"uji{i}@example.co.id", "seat_group": "general",
            "education_level": "S1", "education_field": "Teknik Informatika", "gpa_x100": 340}
    conn.request("POST", f"/api/v1/openings/{opening}/applications", json.dumps(body),
                 {"content-type": "application/json", "authorization": "Bearer " + token})
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        raise SystemExit(f"row {i}: {r.status}")
print(round(n / (time.time() - start)))
