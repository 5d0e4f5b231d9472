#!/usr/bin/env python3
"""Several instances behind nginx on PostgreSQL and Redis (Scale/cluster.py), checked for what
one process used to get right by being alone:

1. `App db upgrade` run by two processes at once applies each revision once;
2. the login limit (5 per minute) is exact across instances under concurrency;
3. a write on instance A is never followed by a stale cached list on instance B;
4. a logout on A is refused on B as soon as A has answered it;
5. each job runs once while every instance runs workers;
6. the API keeps its OpenAPI contract on PostgreSQL and Redis (scripts/check-api.sh);
7. a task written on instance A reaches an event-stream subscriber on instance B, and one
   through nginx, within 1 s (the Redis broker);
8. an attachment uploaded through nginx (streamed, past MAX_CONTENT_LENGTH) downloads whole and
   by range through nginx and from every instance (the shared ATTACHMENTS_DIR);
9. a task written on instance A reaches `/api/tasks/live` WebSockets on instance B and through
   nginx within 1 s, and WebSocket handshakes count against the per-user rate limit across
   instances (refused with an HTTP 429 before any upgrade).

    APP_BIN=.build/release/App python3 Scale/check.py [--instances N]

Exit status 1 when a check fails. Everything listens on 127.0.0.1 and is stopped by its PID.
"""
import argparse
import concurrent.futures
import hashlib
import json
import http.client
import os
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, Postgres  # noqa: E402
from common import Checks, app_binary, send, wait_until  # noqa: E402


def request(port, method, path, body=None, token=None, client="10.9.0.1"):
    """One request on a new connection to 127.0.0.1:port, as the client at `client` (the
    X-Forwarded-For nginx passes on; the instances trust 127.0.0.1)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        return send(connection, method, path, body, token, {"X-Forwarded-For": client})
    finally:
        connection.close()


def register_and_login(port, name, client):
    status, _, body = request(port, "POST", "/auth/register",
                              {"username": name, "email": f"{name}@example.com", "password": "Str0ng-pass!"}, client=client)
    assert status == 201, (status, body)
    status, _, body = request(port, "POST", "/auth/login", {"username": name, "password": "Str0ng-pass!"}, client=client)
    assert status == 200, (status, body)
    return body["access_token"]


def check_concurrent_upgrades(checks):
    postgres = Postgres()
    try:
        url = postgres.create_database("race")
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "production",
               "JWT_SECRET_KEY": "cluster-check-secret-0123456789abcdef-0123"}
        runs = [subprocess.Popen([app_binary(), "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True) for _ in range(2)]
        outputs = [run.communicate(120)[0] for run in runs]
        applied = [line for output in outputs for line in output.splitlines() if line.startswith("Upgraded ")]
        recorded = postgres.query("race", "SELECT plugin || ' ' || revision FROM vial_migrations ORDER BY plugin").split("\n")
        checks.check("two `db upgrade` at once apply each revision once",
                     all(run.returncode == 0 for run in runs) and len(applied) == 9 and len(set(applied)) == 9
                     and recorded == ["auth 0003", "jobs 0001", "tasks 0005"],
                     f"exit codes {[run.returncode for run in runs]}, {len(applied)} steps applied in all "
                     f"({len(outputs[0].splitlines())} + {len(outputs[1].splitlines())} lines), recorded {recorded}")
    finally:
        postgres.stop()


def check_login_limit(checks, cluster):
    client = "10.1.0.1"
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(
            lambda _: request(cluster.nginx.port, "POST", "/auth/login", {"username": "nobody", "password": "wrong"},
                              client=client)[0], range(20)))
    allowed = sum(1 for status in statuses if status != 429)
    checks.check("the login limit (5 per minute) is exact across instances", allowed == 5,
                 f"20 concurrent logins through nginx: {allowed} answered, {statuses.count(429)} refused with 429")


def check_no_stale_lists(checks, cluster, rounds):
    a, b = cluster.apps[0].port, cluster.apps[1].port
    token = register_and_login(a, "writer", "10.2.0.1")
    stale = 0
    for index in range(rounds):
        status, _, before = request(b, "GET", "/api/tasks/?per_page=100", token=token, client="10.2.0.1")
        assert status == 200, (status, before)
        status, _, created = request(a, "POST", "/api/tasks/", {"title": f"task {index}"}, token=token, client="10.2.0.1")
        assert status == 201, (status, created)
        status, _, after = request(b, "GET", "/api/tasks/?per_page=100", token=token, client="10.2.0.1")
        if created["data"]["id"] not in [task["id"] for task in after["data"]]:
            stale += 1
        # and an update on B is seen by A's next read
        request(b, "PATCH", f"/api/tasks/{created['data']['id']}", {"status": "completed"}, token=token, client="10.2.0.1")
        status, _, single = request(a, "GET", f"/api/tasks/{created['data']['id']}", token=token, client="10.2.0.1")
        if single["data"]["status"] != "completed":
            stale += 1
    checks.check("a write on one instance is never followed by a stale cached read on another", stale == 0,
                 f"{rounds} rounds of list on B, create on A, list on B, update on B, read on A: {stale} stale")


def check_logout(checks, cluster, rounds):
    a, b = cluster.apps[0].port, cluster.apps[1].port
    register_and_login(a, "leaver", "10.3.0.1")
    still_accepted = 0
    for index in range(rounds):
        status, _, body = request(b, "POST", "/auth/login", {"username": "leaver", "password": "Str0ng-pass!"},
                                  client=f"10.3.1.{index}")
        token = body["access_token"]
        assert request(b, "GET", "/auth/me", token=token, client="10.3.0.1")[0] == 200
        assert request(a, "POST", "/auth/logout", token=token, client="10.3.0.1")[0] == 200
        if request(b, "GET", "/auth/me", token=token, client="10.3.0.1")[0] != 401:
            still_accepted += 1
    checks.check("a logout on one instance is refused on another as soon as it is answered", still_accepted == 0,
                 f"{rounds} logouts on A, each token then tried on B: {still_accepted} still accepted")


def check_jobs_once(checks, cluster, count):
    ports = [app.port for app in cluster.apps]
    token = register_and_login(ports[0], "jobber", "10.4.0.1")
    database = cluster.env["DATABASE_URL"].rsplit("/", 1)[1]
    email_jobs = "SELECT COUNT(*) FROM jobs WHERE name = 'send_confirmation_email'"
    before = int(cluster.postgres.query(database, email_jobs))  # the other checks created tasks too
    ids = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for status, _, body in pool.map(
                lambda index: request(cluster.nginx.port, "POST", "/api/tasks/", {"title": f"job task {index}"}, token=token,
                                      client="10.4.0.1"), range(count)):
            assert status == 201, (status, body)
            ids.append(body["data"]["id"])
    # Each task queued one confirmation email; each email job writes one outbox row.
    def settled():
        return cluster.postgres.query(database, "SELECT COUNT(*) FROM jobs WHERE state NOT IN ('succeeded', 'failed')") == "0"
    wait_until(settled, 120)
    jobs = int(cluster.postgres.query(database, email_jobs)) - before
    succeeded_once = int(cluster.postgres.query(database, email_jobs + " AND state = 'succeeded' AND attempts = 1")) - before
    messages = int(cluster.postgres.query(database, "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Task Created: job task %'"))
    distinct = int(cluster.postgres.query(
        database, "SELECT COUNT(DISTINCT subject) FROM outbox WHERE subject LIKE 'Task Created: job task %'"))
    workers = [line for app in cluster.apps for line in app.log().splitlines() if "Background jobs" in line]
    checks.check("each job runs once with workers on every instance",
                 jobs == count and succeeded_once == count and messages == count and distinct == count,
                 f"{count} tasks through nginx: {jobs} jobs, {succeeded_once} succeeded at the first attempt, "
                 f"{messages} outbox messages ({distinct} distinct); {len(workers)} instances announced workers")


def check_api_contract(checks, cluster):
    """scripts/check-api.sh (schemathesis against the OpenAPI document) on PostgreSQL and Redis."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    redis = cluster.redis.url.rsplit("/", 1)[0] + "/1"  # a Redis database of its own
    run = subprocess.run(
        ["bash", os.path.join(root, "scripts", "check-api.sh"), f"DATABASE_URL={cluster.postgres.create_database('api')}",
         "CACHE_TYPE=RedisCache", f"CACHE_REDIS_URL={redis}", f"JWT_BLOCKLIST_STORAGE_URI={redis}", f"RATELIMIT_STORAGE_URI={redis}"],
        capture_output=True, text=True, env={**os.environ, "APP_BIN": app_binary()})
    summary = [line.strip() for line in run.stdout.splitlines() if "generated" in line]
    if run.returncode != 0:
        print(run.stdout[-6000:] + run.stderr[-2000:])  # schemathesis's failures, with the requests to replay
    checks.check("the API keeps its OpenAPI contract on PostgreSQL and Redis (schemathesis)", run.returncode == 0,
                 summary[-1] if summary else run.stdout[-2000:] + run.stderr[-2000:])


class EventStream:
    """`GET path` as Server-Sent Events on a raw socket, read as it arrives."""

    def __init__(self, port, path, token, client):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                           f"X-Forwarded-For: {client}\r\nAccept: text/event-stream\r\n\r\n").encode())
        self.received = b""

    def wait_for(self, needle, timeout):
        """Seconds until `needle` arrived, or None after `timeout`."""
        started = time.monotonic()
        while needle not in self.received:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.received += chunk
        return time.monotonic() - started

    def close(self):
        self.sock.close()


def check_events_across_instances(checks, cluster):
    a, b = cluster.apps[0].port, cluster.apps[1].port
    token = register_and_login(a, "watcher", "10.7.0.1")
    on_b = EventStream(b, "/api/tasks/events", token, "10.7.0.1")
    via_nginx = EventStream(cluster.nginx.port, "/api/tasks/events", token, "10.7.0.1")
    try:
        ready = on_b.wait_for(b"retry: 3000", 10) is not None and via_nginx.wait_for(b"retry: 3000", 10) is not None
        title = f"live {uuid.uuid4().hex[:8]}".encode()
        status, _, _ = request(a, "POST", "/api/tasks/", {"title": title.decode()}, token=token, client="10.7.0.1")
        # Both waits start once A has answered: each is the delay from the write's answer to the event.
        direct = on_b.wait_for(title, 5)
        proxied = via_nginx.wait_for(title, 5)
        checks.check("a task written on instance A reaches event-stream subscribers on B and through nginx within 1 s",
                     ready and status == 201 and direct is not None and direct < 1 and proxied is not None and proxied < 1,
                     f"subscribed {ready}, create {status}, on B after {direct} s, through nginx after {proxied} s")
    finally:
        on_b.close()
        via_nginx.close()


def check_websockets_across_instances(checks, cluster):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect
    a, b = cluster.apps[0].port, cluster.apps[1].port
    token = register_and_login(a, "socketeer", "10.5.0.1")
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "10.5.0.1"}
    on_b = connect(f"ws://127.0.0.1:{b}/api/tasks/live", additional_headers=headers)
    via_nginx = connect(f"ws://127.0.0.1:{cluster.nginx.port}/api/tasks/live", additional_headers=headers)
    try:
        for socket_ in (on_b, via_nginx):
            socket_.send(json.dumps({"type": "ping"}))
            assert json.loads(socket_.recv(10)) == {"type": "pong"}
        title = f"socket {uuid.uuid4().hex[:8]}"
        status, _, _ = request(a, "POST", "/api/tasks/", {"title": title}, token=token, client="10.5.0.1")
        answered = time.monotonic()
        delays = []
        for socket_ in (on_b, via_nginx):
            event = json.loads(socket_.recv(5))
            delays.append(round(time.monotonic() - answered, 3) if event.get("data", {}).get("title") == title else None)
        checks.check("a task written on instance A reaches /api/tasks/live sockets on B and through nginx within 1 s",
                     status == 201 and all(d is not None and d < 1 for d in delays), f"create {status}, delays {delays}")
    finally:
        on_b.close()
        via_nginx.close()
    # The per-user limit (120 per minute, in Redis) counts handshakes on every instance alike.
    user = register_and_login(a, "handshaker", "10.4.0.1")
    ports = [app.port for app in cluster.apps] + [cluster.nginx.port]
    outcomes = []
    for index in range(130):
        try:
            with connect(f"ws://127.0.0.1:{ports[index % len(ports)]}/api/tasks/live",
                         additional_headers={"Authorization": f"Bearer {user}", "X-Forwarded-For": "10.4.0.1"}):
                outcomes.append(101)
        except InvalidStatus as refused:
            outcomes.append(refused.response.status_code)
    checks.check("WebSocket handshakes count against the per-user limit across instances: 120 open, then 429",
                 outcomes.count(101) == 120 and outcomes.count(429) == 10, f"{outcomes.count(101)} opened, {outcomes.count(429)} refused")


def raw_request(port, method, path, token, body=b"", headers=None):
    """One request with a bytes body; answers (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers={"Authorization": f"Bearer {token}",
                                                             "X-Forwarded-For": "10.6.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def check_attachments_through_nginx(checks, cluster):
    token = register_and_login(cluster.apps[0].port, "filer", "10.6.0.1")
    status, _, body = request(cluster.nginx.port, "POST", "/api/tasks/", {"title": "with a file"}, token=token, client="10.6.0.1")
    task = body["data"]["id"] if status == 201 else 0
    content = os.urandom(20 << 20)
    boundary = "vialcheck" + uuid.uuid4().hex
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    status, _, body = raw_request(cluster.nginx.port, "POST", f"/api/tasks/{task}/attachments", token, form,
                                  {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    expected = hashlib.sha256(content).hexdigest()
    uploaded = json.loads(body) if status == 201 else {}
    attachment = uploaded.get("data", [{}])[0].get("id", 0)
    path = f"/api/tasks/{task}/attachments/{attachment}"
    sums = []
    for port in [cluster.nginx.port] + [app.port for app in cluster.apps]:
        got, _, data = raw_request(port, "GET", path, token)
        sums.append(hashlib.sha256(data).hexdigest() if got == 200 else f"status {got}")
    ranged, _, piece = raw_request(cluster.nginx.port, "GET", path, token, headers={"Range": "bytes=1000000-1999999"})
    checks.check("an attachment uploaded through nginx downloads whole and by range through nginx and from every instance",
                 status == 201 and uploaded["data"][0]["sha256"] == expected and all(s == expected for s in sums)
                 and ranged == 206 and piece == content[1000000:2000000],
                 f"upload {status}, sums equal {[s == expected for s in sums]}, range {ranged} with {len(piece)} bytes")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--per-instance-state", action="store_true",
                        help="limits, cache and blocklist in each process (what one instance used): the checks must fail")
    arguments = parser.parse_args()
    # The checks send hundreds of requests per simulated client: the default limits (50 per
    # hour) would answer 429. The login limit under test is the route's own (5 per minute).
    env = {"JOBS_CONCURRENCY": "2", "RATELIMIT_DEFAULT": "100000 per hour"}
    if arguments.per_instance_state:
        env.update({"RATELIMIT_STORAGE_URI": "memory://", "CACHE_TYPE": "SimpleCache", "JWT_BLOCKLIST_STORAGE_URI": "database"})
    checks = Checks()
    check_concurrent_upgrades(checks)
    with Cluster(instances=arguments.instances, env=env) as cluster:
        print(f"{arguments.instances} instances on ports {[app.port for app in cluster.apps]}, nginx on {cluster.nginx.port}, "
              f"PostgreSQL on {cluster.postgres.port}, Redis on {cluster.redis.port}", flush=True)
        check_login_limit(checks, cluster)
        check_no_stale_lists(checks, cluster, arguments.rounds)
        check_logout(checks, cluster, arguments.rounds)
        check_jobs_once(checks, cluster, arguments.rounds * 2)
        check_api_contract(checks, cluster)
        check_events_across_instances(checks, cluster)
        check_attachments_through_nginx(checks, cluster)
        check_websockets_across_instances(checks, cluster)
    print(f"{len(checks.results) - len(checks.failed)}/{len(checks.results)} multi-instance checks passed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
