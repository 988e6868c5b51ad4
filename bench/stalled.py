"""Stalled-upload scenario against a running server (see bench/stalled.sh).

  python3 stalled.py BASE TOKEN_A TOKEN_B ROUND SPOOL_DIR UPLOADS SECONDS MODE

Opens UPLOADS application-import uploads that announce 50 MB and trickle one byte every 2 s,
alternating between the two users' tokens; measures GET /api/v1/me (4 keep-alive connections,
5 ms pause) at rest and while the uploads are held, and /readyz; then ends the uploads and
measures the time until the server is fully usable again: /readyz 200, a new upload accepted
(202) and no spool file left. MODE `timeout`: the uploads stop sending and the server's body
timeout ends them; MODE `close`: the clients close their sockets. Prints one JSON object.
"""
import asyncio, json, os, sys, time

base, token_a, token_b, round_id, spool_dir = sys.argv[1:6]
uploads, seconds, mode = int(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
host, port = base.removeprefix("http://").split(":")
port = int(port)
IMPORT_PATH = f"/api/v1/selection-rounds/{round_id}/application-imports"


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def request(method, path, token=None, body=b"", content_type="text/csv", timeout=10):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: {content_type}\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        return await asyncio.wait_for(read_response(reader), timeout)
    finally:
        writer.close()


async def latency(duration):
    """p50/p99 of GET /api/v1/me over 4 keep-alive connections for `duration` seconds."""
    samples, errors = [], 0
    end = time.monotonic() + duration

    async def one_connection():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        get = f"GET /api/v1/me HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token_a}\r\n\r\n".encode()
        while time.monotonic() < end:
            t0 = time.monotonic()
            writer.write(get)
            await writer.drain()
            try:
                status, _ = await asyncio.wait_for(read_response(reader), 10)
            except Exception:
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            samples.append(time.monotonic() - t0)
            if status != 200:
                errors += 1
            await asyncio.sleep(0.005)
        writer.close()

    await asyncio.gather(*(one_connection() for _ in range(4)))
    samples.sort()
    pick = lambda q: round(samples[min(len(samples) - 1, int(q * len(samples)))] * 1000, 2) if samples else None
    return {"requests": len(samples), "errors": errors, "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


class Upload:
    """One upload that announces 50 MB and trickles a byte every 2 s until told to stop."""

    def __init__(self, token):
        self.token, self.status, self.trickle = token, None, True

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.writer.write(f"POST {IMPORT_PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {self.token}\r\n"
                          f"Content-Type: text/csv\r\nContent-Length: 50000000\r\n\r\n".encode()
                          + b"registration_number,nik,kk,full_name\n")
        await self.writer.drain()
        self.answer = asyncio.ensure_future(self.wait_answer())
        self.sender = asyncio.ensure_future(self.send_bytes())

    async def wait_answer(self):
        try:
            self.status, _ = await read_response(self.reader)
        except Exception:
            self.status = "closed"
        self.answered_at = time.monotonic()

    async def send_bytes(self):
        try:
            while self.trickle and self.status is None:
                await asyncio.sleep(2)
                if self.trickle and self.status is None:
                    self.writer.write(b"1")
                    await self.writer.drain()
        except Exception:
            pass


def spool_files():
    try:
        return len([n for n in os.listdir(spool_dir) if n.endswith(".upload")])
    except FileNotFoundError:
        return 0


async def usable():
    ready, _ = await request("GET", "/readyz", timeout=5)
    accepted, _ = await request("POST", IMPORT_PATH, token_a, b"registration_number\n")
    return ready == 200 and accepted == 202


async def main():
    result = {"mode": mode, "uploads": uploads}
    result["at_rest"] = await latency(seconds)
    held = [Upload(token_a if i % 2 == 0 else token_b) for i in range(uploads)]
    for upload in held:
        await upload.open()
    await asyncio.sleep(2)
    refused = [u.status for u in held if u.status is not None]
    result["refused_at_once"] = {str(s): refused.count(s) for s in set(refused)}
    result["held"] = sum(1 for u in held if u.status is None)
    result["spool_files_while_held"] = spool_files()
    result["while_held"] = await latency(seconds)
    t0 = time.monotonic()
    ready, _ = await request("GET", "/readyz", timeout=10)
    result["readyz_while_held"] = {"status": ready, "ms": round((time.monotonic() - t0) * 1000, 1)}

    stopped = time.monotonic()
    for upload in held:
        upload.trickle = False
        if mode == "close":
            upload.writer.close()
    if mode == "timeout":
        await asyncio.wait_for(asyncio.gather(*(u.answer for u in held)), 120)
        answers = [u.status for u in held]
        result["answers_after_stop"] = {str(s): answers.count(s) for s in set(answers)}
    deadline = stopped + 120
    while time.monotonic() < deadline:
        if spool_files() == 0 and await usable():
            break
        await asyncio.sleep(0.05)
    result["recovery_s"] = round(time.monotonic() - stopped, 2)
    # The probe upload's own job removes its file when it ends.
    until = time.monotonic() + 10
    while spool_files() and time.monotonic() < until:
        await asyncio.sleep(0.05)
    result["spool_files_after"] = spool_files()
    result["after"] = await latency(min(seconds, 5))
    print(json.dumps(result))
    for upload in held:
        upload.writer.close()


asyncio.run(main())
