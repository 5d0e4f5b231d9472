#!/usr/bin/env python3
"""The attacks that issues 10 and 16 found on a live server, replayed against the release `App`.

Each case is a request (or a socket) an attacker can send; each check is what the server must
do now. CI runs this after the tests (`Reliability/attacks.py`, the release binary in APP_BIN
or .build/release/App); the reliability suite runs it too. Exit status 1 when a check fails.
"""
import json
import socket
import sys
import threading
import time

import jwt  # PyJWT

import attacks_second_run
import attacks_streaming
import attacks_uploads
import attacks_websockets
from common import Checks, Server, health_latency_ms, send

PUBLISHED_SECRET = "dev-secret-change-me-0123456789abcdef"
checks = Checks()


def raw_exchange(server, data, read_for=2.0, send_more=None):
    """Sends `data` on a raw socket, optionally keeps streaming `send_more`, returns what came back."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=read_for)
    sock.sendall(data)
    received = b""
    deadline = time.time() + read_for
    closed = False
    try:
        while time.time() < deadline:
            if send_more:
                try:
                    sock.sendall(send_more)
                except OSError:
                    closed = True
                    break
            try:
                sock.settimeout(0.05 if send_more else max(0.01, deadline - time.time()))
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        sock.close()
    return received, closed


def tokens_and_secrets(server):
    # 1. A token signed with the published development secret, for a user that does not exist.
    now = int(time.time())
    claims = {"sub": "999", "role": "admin", "type": "access", "iat": now, "nbf": now, "exp": now + 600, "jti": "forged"}
    forged = jwt.encode(claims, PUBLISHED_SECRET, algorithm="HS256")
    status, _, _ = server.get("/auth/me", token=forged)
    checks.check("1 a token signed with the published secret is refused (development default)", status == 401, f"{status}")
    # The role is the account's: with the signing secret known, a token for `user` claiming
    # admin, and one for a user that does not exist, get no admin access.
    secret = "reliability-check-secret-0123456789abcdef"
    signed = Server(env={"JWT_SECRET_KEY": secret, "RATELIMIT_ENABLED": "false"}).start()
    try:
        real = jwt.decode(signed.login(), options={"verify_signature": False})
        elevated = jwt.encode(dict(real, role="admin", jti="elevated"), secret, algorithm="HS256")
        status, _, me = signed.get("/auth/me", token=elevated)
        role = me.get("data", {}).get("role") if isinstance(me, dict) else None
        checks.check("1 the role comes from the user record, not the token", status == 401 or role == "user", f"{status} role={role}")
        ghost = jwt.encode(dict(real, sub="999", role="admin", jti="ghost"), secret, algorithm="HS256")
        status, _, _ = signed.get("/auth/me", token=ghost)
        checks.check("1 a token for a user that does not exist is refused", status == 401, f"{status}")
    finally:
        signed.stop()
    # Production refuses the published secret and short ones.
    for secret, why in ((PUBLISHED_SECRET, "the published secret"), ("0123456789abcdef", "a 16-byte secret")):
        refused = Server(env={"APP_ENV": "production", "JWT_SECRET_KEY": secret})
        try:
            refused.start(timeout=10)
            ok = False
        except RuntimeError:
            ok = refused.process.returncode not in (0, None)
        finally:
            refused.stop()
        checks.check(f"1 production refuses {why}", ok, f"exit {refused.process.returncode}")


def path_matching(server):
    # 2. A 78 KB unauthenticated path under a <path:> rule.
    path = "/docs/assets/" + "a/" * 39_000
    start = time.monotonic()
    try:
        status, _, _ = server.request("DELETE", path, timeout=30)
    except OSError as error:
        status = str(error)
    elapsed = (time.monotonic() - start) * 1000
    checks.check("2 a 78 KB <path:> match answers at once", elapsed < 1000, f"{status} in {elapsed:.0f} ms")


def upgrade_and_connect(server):
    # 3. Upgrade: answered as plain HTTP, then closed; the bytes that follow are not buffered.
    before = server.rss_kb()
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    received, closed = raw_exchange(server, head, read_for=3.0, send_more=b"x" * 65536)
    grown = server.rss_kb() - before
    checks.check("3 an upgrade request is answered and closed", received.startswith(b"HTTP/1.1 200") and closed, received.split(b"\r\n")[0].decode(errors="replace"))
    checks.check("3 bytes after an upgrade are not held", grown < 50_000, f"RSS +{grown} KB")
    received, closed = raw_exchange(server, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    checks.check("3 CONNECT gets 405 and is closed", received.startswith(b"HTTP/1.1 405") and closed, received.split(b"\r\n")[0].decode(errors="replace"))


def non_reader(server):
    # 4. Pipelined requests whose answers are never read.
    before = server.rss_kb()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    sock.settimeout(0.2)
    sent = 0
    for _ in range(2_000):
        try:
            sock.sendall(request)
            sent += 1
        except (socket.timeout, OSError):
            break
    time.sleep(2)
    grown = server.rss_kb() - before
    sock.close()
    checks.check("4 a client that never reads does not grow the server", grown < 30_000, f"{sent} requests sent, RSS +{grown} KB")


def sizes(server):
    # 5. A one-grapheme 600 KB title, and a description past 10,000 characters.
    token = server.login()
    title = "e" + "\u0301" * 300_000
    status, _, _ = server.request("POST", "/api/tasks/", {"title": title}, token=token)
    checks.check("5 a 600 KB one-grapheme title is refused", 400 <= status < 500, f"{status}")
    status, _, _ = server.request("POST", "/api/tasks/", {"title": "t", "description": "d" * 10_001}, token=token)
    checks.check("5 a description over 10,000 characters is refused", 400 <= status < 500, f"{status}")
    status, _, body = server.get("/api/tasks/?per_page=100000", token=token)
    per_page = body.get("meta", {}).get("per_page") if isinstance(body, dict) else None
    checks.check("5 one list answer is bounded", status == 400 or (status == 200 and (per_page or 0) <= 100), f"{status} per_page={per_page}")


def forwarded_for():
    # 6. Behind a trusted proxy, a client rotating the leftmost X-Forwarded-For hop is still limited.
    server = Server(env={"TRUSTED_PROXIES": "127.0.0.1"}).start()
    try:
        statuses = []
        for index in range(8):
            status, _, _ = server.request(
                "POST", "/auth/login", {"username": "user", "password": "wrong"},
                headers={"X-Forwarded-For": f"10.0.0.{index}, 203.0.113.9"})
            statuses.append(status)
        checks.check("6 the login limit keys by the rightmost untrusted hop", 429 in statuses, f"{statuses}")
    finally:
        server.stop()


def connection_cap():
    # 7. Past MAX_CONNECTIONS new connections are closed at once and it is logged; /health recovers.
    server = Server(env={"MAX_CONNECTIONS": "50", "LOG_LEVEL": "info"}).start()
    try:
        sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(80)]
        time.sleep(0.5)
        logged = "connection limit reached" in server.log()
        for sock in sockets:
            sock.close()
        time.sleep(0.5)
        latency = health_latency_ms(server)
        checks.check("7 the connection limit is enforced and logged", logged, "")
        checks.check("7 /health answers once they leave", latency is not None and latency < 100, f"{latency} ms")
    finally:
        server.stop()


def logout_race(server):
    # 8. A token is refused the moment logout has answered, every time.
    accepted = 0
    for _ in range(30):
        token = server.login()
        connection = server.connection()
        send(connection, "POST", "/auth/logout", token=token)
        status, _, _ = send(connection, "GET", "/auth/me", token=token)
        connection.close()
        accepted += status != 401
    checks.check("8 logout is effective before it answers", accepted == 0, f"{accepted} of 30 accepted after logout")


def host_header(server):
    # 9. An untrusted Host never becomes an absolute URL.
    token = server.login()
    status, headers, _ = server.request("POST", "/api/tasks/", {"title": "host"}, token=token, headers={"Host": "evil.example"})
    location = headers.get("Location", "")
    checks.check("9 Host is not copied into Location", status == 201 and "evil.example" not in location, location)


def identity(server):
    # 10. Usernames differing only by case; a non-canonical integer.
    first, _, _ = server.request("POST", "/auth/register", {"username": "Mallory", "email": "m1@example.com", "password": "password123"})
    second, _, _ = server.request("POST", "/auth/register", {"username": "mallory", "email": "m2@example.com", "password": "password123"})
    checks.check("10 usernames are unique regardless of case", first == 201 and second == 409, f"{first}, {second}")
    token = server.login()
    status, _, body = server.request("POST", "/api/tasks/", {"title": "canonical"}, token=token)
    task_id = body["data"]["id"] if status == 201 else 1
    status, _, _ = server.get(f"/api/tasks/0{task_id}", token=token)
    checks.check("10 /api/tasks/0N is not task N", status == 404, f"{status}")


def logs():
    # 11. An 80 KB URL makes no 80 KB log line; protocol refusals are logged.
    server = Server(env={"LOG_LEVEL": "info"}).start()
    try:
        server.get("/" + "a" * 80_000)
        raw_exchange(server, b"GARBAGE\r\n\r\n", read_for=1.0)
        time.sleep(0.3)
        longest = max(len(line.encode()) for line in server.log().splitlines())
        checks.check("11 log lines are bounded", longest < 4_500, f"longest {longest} bytes")
        checks.check("11 a malformed request reaches the access log", "400 refused: malformed_request" in server.log(), "")
    finally:
        server.stop()


def main():
    server = Server(env={"RATELIMIT_ENABLED": "false"}).start()
    try:
        for case in (tokens_and_secrets, path_matching, upgrade_and_connect, non_reader, sizes, logout_race, host_header, identity):
            case(server)
        latency = health_latency_ms(server)
        checks.check("the server still answers /health", latency is not None and latency < 100, f"{latency} ms")
    finally:
        server.stop()
    forwarded_for()
    connection_cap()
    logs()
    attacks_second_run.run(checks)
    attacks_streaming.run(checks)
    attacks_uploads.run(checks)
    attacks_websockets.run(checks)
    print(json.dumps({"checks": len(checks.results), "failed": len(checks.failed)}))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
