"""The findings of issue 16's live attack run, replayed against the release `App` (called from
attacks.py). The deployment ones (the nginx site, PostgreSQL outages) are in Scale/check_deploy.py.
"""
import os
import socket
import sqlite3
import sys
import time

from common import Server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Scale"))


def raw(server, data, read_for=2.0):
    """Sends `data`, returns the first line of the answer ('' when closed without one)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=read_for)
    try:
        sock.sendall(data)
        received = b""
        while b"\r\n" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        return received.split(b"\r\n")[0].decode(errors="replace")
    except OSError as error:
        return f"error {error}"
    finally:
        sock.close()


def hosts(checks):
    # 1. SERVER_NAME wins over a trusted proxy's X-Forwarded-Host; TRUSTED_HOSTS checks it too.
    server = Server(env={"RATELIMIT_ENABLED": "false", "TRUSTED_PROXIES": "127.0.0.1", "SERVER_NAME": "api.example.com"}).start()
    try:
        token = server.login()
        status, headers, _ = server.request("POST", "/api/tasks/", {"title": "h"}, token=token,
                                            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        location = headers.get("Location", "")
        checks.check("16.1 SERVER_NAME wins over a trusted proxy's X-Forwarded-Host",
                     status == 201 and location.startswith("https://api.example.com/"), f"{status} {location}")
    finally:
        server.stop()
    server = Server(env={"RATELIMIT_ENABLED": "false", "TRUSTED_PROXIES": "127.0.0.1", "TRUSTED_HOSTS": "api.example.com, 127.0.0.1"}).start()
    try:
        status, _, body = server.get("/health/live", headers={"Host": "api.example.com", "X-Forwarded-Host": "evil.example"})
        checks.check("16.1 TRUSTED_HOSTS refuses a forwarded host it does not list", status == 400, f"{status}")
        # 2. What follows a ':' is checked too.
        status, _, _ = server.get("/health/live", headers={"Host": "api.example.com:@evil.example"})
        checks.check("16.2 Host: api.example.com:@evil.example is refused", status == 400, f"{status}")
    finally:
        server.stop()


def host_syntax_and_count(checks, server):
    # 2 and 7, on the server itself: strict syntax, exactly one Host in HTTP/1.1.
    for name, head in (
        ("16.2 Host: localhost:@evil.example is 400", b"GET /health HTTP/1.1\r\nHost: localhost:@evil.example\r\n\r\n"),
        ("16.7 an HTTP/1.1 request without Host is 400", b"GET /health HTTP/1.1\r\n\r\n"),
        ("16.7 two Host headers are 400", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ):
        line = raw(server, head)
        checks.check(name, line.startswith("HTTP/1.1 400"), line)
    line = raw(server, b"GET /health HTTP/1.0\r\n\r\n")
    checks.check("16.7 HTTP/1.0 may omit Host", line.startswith("HTTP/1.0 200"), line)


def nul_text(checks, server):
    # 3. What is acknowledged is what is stored: NUL is refused, never cut.
    token = server.login()
    status, _, _ = server.request("POST", "/api/tasks/", {"title": "visible\u0000hidden"}, token=token)
    checks.check("16.3 a title with U+0000 is refused (422)", status == 422, f"{status}")
    status, _, body = server.request("POST", "/auth/login", {"username": "admin\u0000x", "password": "password"})
    checks.check("16.3 admin\\u0000x does not log in as admin", status == 400 and "access_token" not in (body or {}), f"{status}")


def error_size(checks, server):
    # 4. An error answer does not grow with the input.
    members = {f"{index:x}": 1 for index in range(85_000)}  # about 0.9 MB, under the 1 MiB body limit
    members.update({"username": "big", "email": "big@example.com", "password": "password123"})
    start = time.monotonic()
    connection = server.connection(timeout=30)
    connection.request("POST", "/auth/register", body=__import__("json").dumps(members).encode(),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    size = len(response.read())
    connection.close()
    took = (time.monotonic() - start) * 1000
    checks.check("16.4 85,000 unknown keys get a small 400", response.status == 400 and size < 4096,
                 f"{response.status}, {size} bytes in {took:.0f} ms")


def connection_cap(checks):
    # 5. One address cannot take every slot (MAX_CONNECTIONS_PER_IP); another address is served.
    server = Server(env={"MAX_CONNECTIONS_PER_IP": "20"}).start()
    try:
        greedy = []
        for _ in range(60):
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # a slow header, never finished
            greedy.append(sock)
        time.sleep(0.5)
        open_ones = 0
        for sock in greedy:
            sock.settimeout(0.05)
            try:
                open_ones += sock.recv(1) != b""
            except socket.timeout:
                open_ones += 1
            except OSError:
                pass
        statuses = [server.get("/health")[0] for _ in range(20)]
        for sock in greedy:
            sock.close()
        checks.check("16.5 one address holds at most MAX_CONNECTIONS_PER_IP", open_ones == 20, f"{open_ones} of 60 kept")
        checks.check("16.5 other clients are served meanwhile", statuses.count(200) == 20, f"{statuses.count(200)} of 20")
    finally:
        server.stop()


def cache_headers(checks, server):
    # 6. Token answers are not cacheable; probes and docs say how they may be cached.
    status, headers, _ = server.request("POST", "/auth/login", {"username": "user", "password": "password"})
    checks.check("16.6 /auth/login: Cache-Control no-store", headers.get("Cache-Control") == "no-store", str(headers.get("Cache-Control")))
    _, headers, _ = server.get("/auth/me", token=server.login())
    checks.check("16.6 /auth/me: Cache-Control no-store", headers.get("Cache-Control") == "no-store", str(headers.get("Cache-Control")))
    _, headers, _ = server.get("/health/ready")
    checks.check("16.6 /health/ready: Cache-Control no-store", headers.get("Cache-Control") == "no-store", str(headers.get("Cache-Control")))
    _, headers, _ = server.get("/openapi.json")
    checks.check("16.6 /openapi.json: Cache-Control no-cache", headers.get("Cache-Control") == "no-cache", str(headers.get("Cache-Control")))


def demotion(checks, server):
    # 8. A demoted admin gets no cached admin answers.
    admin = server.login("admin")
    user = server.login("user")
    server.request("POST", "/api/tasks/", {"title": "the user's"}, token=user)
    server.get("/api/tasks/", token=admin)
    _, headers, _ = server.get("/api/tasks/", token=admin)
    warm = headers.get("X-Cache")
    with sqlite3.connect(os.path.join(server.workdir, "app.db")) as database:
        database.execute("UPDATE users SET role = 'user' WHERE username = 'admin'")
    time.sleep(1.5)  # the role is the account's within 1 s
    _, headers, body = server.get("/api/tasks/", token=admin)
    owners = {task["owner_id"] for task in body.get("data", [])} if isinstance(body, dict) else set()
    checks.check("16.8 a demoted admin's next list is not the cached admin list",
                 warm == "HIT" and headers.get("X-Cache") == "MISS" and len(owners) <= 1, f"{warm} then {headers.get('X-Cache')}, owners {owners}")
    with sqlite3.connect(os.path.join(server.workdir, "app.db")) as database:
        database.execute("UPDATE users SET role = 'admin' WHERE username = 'admin'")
    time.sleep(1.5)


def junk_queries(checks, server):
    # 9. One user's junk query strings neither split nor evict others' cache entries.
    admin = server.login("admin")
    user = server.login("user")
    server.get("/api/tasks/?per_page=7", token=admin)
    connection = server.connection()
    from common import send
    for index in range(600):
        send(connection, "GET", f"/api/tasks/?junk={index}", token=user)
    connection.close()
    _, headers, _ = server.get("/api/tasks/?per_page=7", token=admin)
    checks.check("16.9 600 junk queries by one user leave another's entry cached", headers.get("X-Cache") == "HIT", str(headers.get("X-Cache")))


def logout_pair(checks, server):
    # 10. Logging out with the access token also ends the refresh token of the same login.
    status, _, tokens = server.request("POST", "/auth/login", {"username": "user", "password": "password"})
    server.request("POST", "/auth/logout", {}, token=tokens["access_token"])
    status, _, _ = server.request("POST", "/auth/refresh", {}, token=tokens["refresh_token"])
    checks.check("16.10 after logout the refresh token mints nothing", status == 401, f"{status}")


def redis_restart(checks):
    # 14. A logout survives a Redis restart without persistence.
    try:
        from cluster import Redis
        redis = Redis()
    except (ImportError, OSError, RuntimeError) as error:
        checks.check("16.14 a logout survives a Redis restart", False, f"redis-server: {error}")
        return
    server = Server(env={"RATELIMIT_ENABLED": "false", "JWT_BLOCKLIST_STORAGE_URI": redis.url}).start()
    try:
        token = server.login()
        status, _, _ = server.request("POST", "/auth/logout", {}, token=token)
        redis.restart()
        statuses = []
        for _ in range(50):
            status = server.get("/auth/me", token=token)[0]
            statuses.append(status)
            if status != 503:
                break
            time.sleep(0.1)
        checks.check("16.14 a logout survives a Redis restart", statuses[-1] == 401, f"{statuses[-3:]}")
    finally:
        server.stop()
        redis.stop()


def run(checks):
    hosts(checks)
    server = Server(env={"RATELIMIT_ENABLED": "false"}).start()
    try:
        for case in (host_syntax_and_count, nul_text, error_size, cache_headers, demotion, junk_queries, logout_pair):
            case(checks, server)
    finally:
        server.stop()
    connection_cap(checks)
    redis_restart(checks)
