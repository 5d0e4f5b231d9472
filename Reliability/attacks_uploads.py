"""Issue 17's attacks on uploads, replayed against a live `App serve` (run by attacks.py), at
`POST /api/tasks/<id>/attachments` (multipart/form-data, streamed to disk):

- truncated multipart, a missing or a 10 KB boundary, 100,000 tiny parts, part headers that
  never end: each a clear 4xx JSON answer, quickly;
- filenames `../../etc/passwd` and with NUL and CRLF: stored under a safe name;
- a gzip bomb (10 MiB that inflate to 10 GiB): 413, fast, memory bounded;
- a client that vanishes mid-upload and one that trickles: the server carries on;
- after all of it no temporary file is left and memory is bounded.

Everything on 127.0.0.1; the server is stopped by its PID.
"""
import json
import os
import socket
import time
import zlib

from common import Server

BOUNDARY = "AttackBoundary7MA4YWxkTrZu0gW"


def part(name, content, filename=None, extra=""):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "") + extra
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"


def form(*parts):
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(server, path, token, body, content_type=None, extra_headers="", timeout=30):
    """Sends one request on a raw socket; returns (status, parsed JSON or text, seconds)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {content_type or f'multipart/form-data; boundary={BOUNDARY}'}\r\n"
            f"Content-Length: {len(body)}\r\n{extra_headers}Connection: close\r\n\r\n").encode()
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (413) before the whole body was taken
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
    finally:
        sock.close()
    took = time.monotonic() - started
    head_text, _, payload = received.partition(b"\r\n\r\n")
    status = int(head_text.split()[1]) if head_text.startswith(b"HTTP/1.1") else 0
    try:
        return status, json.loads(payload), took
    except ValueError:
        return status, payload[:200], took


def leftovers(server):
    folder = os.path.join(server.workdir, "attachments", "tmp")
    return os.listdir(folder) if os.path.isdir(folder) else []


def error_code(answer):
    return answer.get("error", {}).get("code") if isinstance(answer, dict) else None


def bad_forms(checks, server, token, path):
    truncated = form(part("file", os.urandom(200_000), "a.bin"))[:-5_000]
    status, answer, _ = post(server, path, token, truncated)
    checks.check("17 a truncated multipart body is a 400 and leaves no file",
                 status == 400 and error_code(answer) == "invalid_multipart" and not leftovers(server),
                 f"{status} {error_code(answer)}, leftovers {leftovers(server)}")

    results = []
    for label, content_type in [("no boundary", "multipart/form-data"),
                                ("a 10 KB boundary", "multipart/form-data; boundary=" + "b" * 10_000)]:
        status, answer, _ = post(server, path, token, form(part("file", b"x", "a.txt")), content_type=content_type)
        results.append((label, status, error_code(answer)))
    checks.check("17 a missing or a 10 KB boundary is a 400",
                 all(status == 400 and code == "invalid_multipart" for _, status, code in results), f"{results}")

    tiny = b"".join(part(f"f{n % 10}", b"v") for n in range(100_000)) + f"--{BOUNDARY}--\r\n".encode()
    status, answer, took = post(server, path, token, tiny)
    checks.check("17 100,000 tiny parts are a 413, quickly",
                 status == 413 and took < 10, f"{status} {error_code(answer)} after {took:.2f} s ({len(tiny)} bytes)")

    endless = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; x=\"".encode() + b"h" * (4 << 20)
    status, answer, took = post(server, path, token, endless)
    checks.check("17 part headers that never end are a 413, quickly",
                 status == 413 and took < 10, f"{status} {error_code(answer)} after {took:.2f} s")


def filenames(checks, server, token, path):
    body = form(part("file", b"one", "../../etc/passwd"),
                part("file", b"two", "fallback", extra="; filename*=UTF-8''evil%00name%0D%0AX-Injected%3A%201.txt"))
    status, answer, _ = post(server, path, token, body)
    names = [item["filename"] for item in answer.get("data", [])] if isinstance(answer, dict) else []
    safe = all("/" not in name and "\r" not in name and "\n" not in name and "\0" not in name and not name.startswith(".")
               for name in names)
    outside = os.path.exists(os.path.join(server.workdir, "etc", "passwd"))
    checks.check("17 filenames ../../etc/passwd and with NUL and CRLF are stored under safe names",
                 status == 201 and names[:1] == ["passwd"] and len(names) == 2 and safe and not outside,
                 f"{status}, names {names}")


def gzip_bomb(checks, server, token, path):
    # Full flushes make every 1 MiB of zeros compress to the same bytes: 10 MiB that inflate to
    # 10 GiB, built without compressing 10 GiB (no trailer: the server must stop long before).
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    bomb = first + repeated * 10_239
    before = server.rss_kb()
    status, answer, took = post(server, path, token, bomb, extra_headers="Content-Encoding: gzip\r\n", timeout=120)
    grown = server.rss_kb() - before
    checks.check("17 a gzip bomb (10 MiB inflating to 10 GiB) is a 413, fast, with memory bounded",
                 status == 413 and took < 30 and grown < 64 * 1024 and not leftovers(server),
                 f"{status} {error_code(answer)} after {took:.1f} s, RSS grew {grown} KiB, leftovers {leftovers(server)}")


def vanishing_and_slow(checks, server, token, path):
    pid_rss = server.rss_kb()
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {50 << 20}\r\n\r\n").encode())
        sock.sendall(part("file", os.urandom(2 << 20), "half.bin")[: 2 << 20])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    deadline = time.monotonic() + 10
    while leftovers(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    status, _, _ = server.get("/health")
    checks.check("17 clients that vanish mid-upload leave no file and no harm",
                 not leftovers(server) and status == 200 and server.rss_kb() - pid_rss < 64 * 1024,
                 f"leftovers {leftovers(server)}, /health {status}, RSS {pid_rss} -> {server.rss_kb()} KiB")

    # A trickle: 20 bytes a second against BODY_MIN_RATE (1,024 bytes a second over 5 s windows).
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 100000\r\n\r\n").encode())
    started = time.monotonic()
    received = b""
    sock.settimeout(0.5)
    while time.monotonic() - started < 20 and b"HTTP/1.1" not in received:
        try:
            sock.sendall(b"-" * 10)
        except OSError:
            pass
        try:
            received += sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            pass
    sock.close()
    took = time.monotonic() - started
    checks.check("17 an upload that trickles in ends with 408",
                 b"HTTP/1.1 408" in received and took < 15, f"{received[:40]!r} after {took:.1f} s")


def run(checks):
    server = Server(env={"RATELIMIT_ENABLED": "false"}).start()
    try:
        token = server.login()
        status, _, created = server.request("POST", "/api/tasks/", {"title": "attack target"}, token=token)
        path = f"/api/tasks/{created['data']['id']}/attachments"
        before = server.rss_kb()
        bad_forms(checks, server, token, path)
        filenames(checks, server, token, path)
        gzip_bomb(checks, server, token, path)
        vanishing_and_slow(checks, server, token, path)
        status, _, listed = server.get(path, token=token)
        grown = server.rss_kb() - before
        checks.check("17 after the upload attacks: only the two safe-named files are kept, memory bounded",
                     status == 200 and listed.get("count") == 2 and not leftovers(server) and grown < 128 * 1024,
                     f"{status}, {listed.get('count') if isinstance(listed, dict) else listed} attachments, RSS grew {grown} KiB")
    finally:
        server.stop()
