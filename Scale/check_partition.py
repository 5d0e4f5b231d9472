#!/usr/bin/env python3
"""A network partition between the app and its database, on test hosts of this check's own
making (issue 16): PostgreSQL on host `db`, Redis on host `cache`, two `App serve` instances
and nginx on host `app`, the client here — each host a network namespace made with `ip netns`, joined by veth
pairs, on 10.231.x addresses that exist only inside them. Everything is stopped by PID and the
namespaces are deleted at the end, whatever happens.

The link of host `db` is taken down, then brought back. While it is down, readiness answers
within its budget (503), clients get the app's JSON 503 through nginx (no 502/504 pages, no
hang), and once it is back service recovers without help.

    APP_BIN=.build/release/App python3 Scale/check_partition.py      # as root
"""
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Reliability"))
from common import Checks, app_binary, wait_until  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import write_nginx_config  # noqa: E402

DB, CACHE, APP = "vialp-db", "vialp-cache", "vialp-app"
DB_ADDRESS, APP_TO_DB, CLIENT, APP_ADDRESS = "10.231.0.1", "10.231.0.2", "10.231.1.1", "10.231.1.2"
CACHE_ADDRESS, APP_TO_CACHE = "10.231.2.1", "10.231.2.2"
NGINX_PORT = 8080
REDIS_PASSWORD = "partition-check-redis"


def run(*command, netns=None, check=True, env=None):
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return subprocess.run(prefix + list(command), check=check, capture_output=True, text=True, env=env)


def link(left_ns, left, left_address, right_ns, right, right_address):
    """A veth pair: `left` in `left_ns` (None: here) and `right` in `right_ns`, both up, on a /24."""
    run("ip", "link", "add", left, "type", "veth", "peer", "name", right)
    for netns, name, address in ((left_ns, left, left_address), (right_ns, right, right_address)):
        if netns:
            run("ip", "link", "set", name, "netns", netns)
        run("ip", "addr", "add", f"{address}/24", "dev", name, netns=netns)
        run("ip", "link", "set", name, "up", netns=netns)


def make_hosts():
    for netns in (DB, CACHE, APP):
        run("ip", "netns", "del", netns, check=False)  # left over from an interrupted run
        run("ip", "netns", "add", netns)
        run("ip", "link", "set", "lo", "up", netns=netns)
    link(None, "vialp-c", CLIENT, APP, "vialp-ca", APP_ADDRESS)
    link(APP, "vialp-ad", APP_TO_DB, DB, "vialp-d", DB_ADDRESS)
    link(APP, "vialp-ar", APP_TO_CACHE, CACHE, "vialp-r", CACHE_ADDRESS)


def remove_hosts():
    run("ip", "link", "del", "vialp-c", check=False)
    for netns in (DB, CACHE, APP):
        run("ip", "netns", "del", netns, check=False)


class Processes:
    """Started in a namespace, stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, folder):
        self.folder = folder
        self.started = []

    def start(self, name, command, netns, env=None):
        log = open(os.path.join(self.folder, f"{name}.log"), "wb")
        process = subprocess.Popen(["ip", "netns", "exec", netns] + command, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.started.append(process)
        return process

    def log(self, name):
        with open(os.path.join(self.folder, f"{name}.log"), "rb") as file:
            return file.read().decode("utf-8", "replace")

    def stop_all(self):
        for process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def request(method, path, body=None, token=None, timeout=30):
    """(status, parsed JSON or raw bytes, seconds) through nginx on host `app`."""
    start = time.monotonic()
    connection = http.client.HTTPConnection(APP_ADDRESS, NGINX_PORT, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw[:80]
        return response.status, parsed, round(time.monotonic() - start, 2)
    except OSError as error:
        return type(error).__name__, None, round(time.monotonic() - start, 2)
    finally:
        connection.close()


def code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else body


def main():
    if os.geteuid() != 0:
        print("check_partition.py makes network namespaces: run it as root")
        sys.exit(1)
    checks = Checks()
    folder = tempfile.mkdtemp(prefix="vial-partition-")
    processes = Processes(folder)
    try:
        make_hosts()
        # Host db: PostgreSQL (a throw-away cluster) and Redis without persistence.
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed")
        pg = os.path.dirname(bins[-1])
        shutil.chown(folder, "postgres", "postgres")
        subprocess.run(["runuser", "-u", "postgres", "--", f"{pg}/initdb", "-D", f"{folder}/data", "-U", "vial", "--auth=trust",
                        "-E", "UTF8", "--no-sync", "--no-locale"], check=True, capture_output=True)
        # The app host connects over the link (initdb trusts only loopback and the socket).
        with open(f"{folder}/data/pg_hba.conf", "a") as file:
            file.write(f"host all all {APP_TO_DB}/32 trust\n")
        processes.start("postgres", ["runuser", "-u", "postgres", "--", f"{pg}/postgres", "-D", f"{folder}/data", "-p", "5432",
                                     "-h", DB_ADDRESS, "-k", folder, "-F"], DB)
        psql = [f"{pg}/psql", "-h", folder, "-p", "5432", "-U", "vial", "-d", "postgres", "-qtA", "-c"]
        wait_until(lambda: subprocess.run(psql + ["SELECT 1"], capture_output=True).returncode == 0, 30)
        subprocess.run(psql + ["CREATE DATABASE vial"], check=True, capture_output=True)
        # Off loopback Redis wants a password (protected mode).
        processes.start("redis", ["redis-server", "--bind", CACHE_ADDRESS, "--port", "6379", "--save", "", "--appendonly", "no",
                                  "--requirepass", REDIS_PASSWORD], CACHE)

        # Host app: two instances and nginx, configured as deploy/vial.env says, over the link.
        redis = f"redis://:{REDIS_PASSWORD}@{CACHE_ADDRESS}:6379/0"
        env = {**os.environ, "APP_ENV": "production", "DATABASE_URL": f"postgresql://vial@{DB_ADDRESS}:5432/vial",
               "JWT_SECRET_KEY": "partition-check-secret-0123456789abcdef", "RATELIMIT_STORAGE_URI": redis,
               "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis, "JWT_BLOCKLIST_STORAGE_URI": redis,
               "TRUSTED_PROXIES": "127.0.0.1", "SERVER_NAME": f"{APP_ADDRESS}:{NGINX_PORT}", "JOBS_CONCURRENCY": "0"}
        wait_until(lambda: run("redis-cli", "-h", CACHE_ADDRESS, "-a", REDIS_PASSWORD, "--no-auth-warning", "ping", netns=APP, check=False).stdout.strip() == "PONG", 10)
        upgraded = run(app_binary(), "db", "upgrade", netns=APP, check=False, env=env)
        checks.check("db upgrade across the link", upgraded.returncode == 0, upgraded.stderr.strip()[-200:])
        for index, port in ((1, 8001), (2, 8002)):
            processes.start(f"app{index}", [app_binary(), "serve", "--host", "127.0.0.1", "--port", str(port)], APP, env)
        wait_until(lambda: all("Running on" in processes.log(f"app{index}") for index in (1, 2)), 30)
        # As deploy/nginx/vial.conf: instances fail only when unreachable; the app's answers pass.
        write_nginx_config(folder, f"""
    upstream vial {{
        server 127.0.0.1:8001 max_fails=3 fail_timeout=5s;
        server 127.0.0.1:8002 max_fails=3 fail_timeout=5s;
        keepalive 32;
    }}
    server {{
        listen {APP_ADDRESS}:{NGINX_PORT};
        server_name {APP_ADDRESS};
        location / {{
            proxy_pass http://vial;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $server_name;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }}
    }}""")
        processes.start("nginx", ["nginx", "-p", folder, "-c", f"{folder}/nginx.conf", "-g", "daemon off;"], APP)
        wait_until(lambda: request("GET", "/health/live", timeout=2)[0] == 200, 10)

        status, body, _ = request("POST", "/auth/login", {"username": "admin", "password": "password"})
        if status != 200:
            # production seeds no users: register one
            request("POST", "/auth/register", {"username": "partition", "email": "p@example.com", "password": "Partition-pass1"})
            status, body, _ = request("POST", "/auth/login", {"username": "partition", "password": "Partition-pass1"})
        token = body.get("access_token") if isinstance(body, dict) else None
        before = [request("GET", "/api/tasks/", token=token)[0] for _ in range(4)] + [request("GET", "/health/ready")[0]]
        checks.check("before the partition: the API and readiness answer through nginx", token and before == [200] * 5, f"{before}")

        # The partition: host db's link goes down.
        run("ip", "link", "set", "vialp-d", "down", netns=DB)
        try:
            ready = [request("GET", "/health/ready") for _ in range(3)]
            checks.check("during the partition readiness answers 503 within its budget",
                         all(status == 503 and took < 4 for status, _, took in ready),
                         f"{[(status, (body or {}).get('error', {}).get('details') if isinstance(body, dict) else body, took) for status, body, took in ready]}")
            answers = []
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                status, body, took = request("GET", "/api/tasks/", token=token)
                answers.append((status, code(body), took))
            # The first answers may still come from the cache on host `cache` (the user directory
            # keeps a role for 1 s); then the database is needed.
            checks.check("during the partition clients get the app's JSON 503 through nginx, never a hang or a 502/504",
                         answers and all((status == 503 and isinstance(c, str) or status == 200) and took < 15
                                         for status, c, took in answers),
                         f"{len(answers)} answers, e.g. {answers[:2]} … {answers[-2:]}")
            checks.check("once the outage is known, requests are answered 503 database_unavailable at once",
                         all(status == 503 and c == "database_unavailable" and took < 1.0 for status, c, took in answers[-3:]),
                         f"{answers[-3:]}")
        finally:
            run("ip", "link", "set", "vialp-d", "up", netns=DB)

        # Each instance finds the database again at its next probe (once a second, 3 s each at most).
        streak, recovered = 0, None
        start = time.monotonic()
        while time.monotonic() - start < 60 and recovered is None:
            streak = streak + 1 if request("GET", "/api/tasks/", token=token, timeout=10)[0] == 200 else 0
            if streak == 10:
                recovered = round(time.monotonic() - start, 1)
            time.sleep(0.1)
        ready = [request("GET", "/health/ready")[0] for _ in range(4)]
        checks.check("after the partition service recovers on its own, on both instances",
                     recovered is not None and ready == [200] * 4, f"10 answers in a row 200 after {recovered} s; readiness {ready}")
    except BaseException:
        for name in ("app1", "app2", "nginx", "error", "redis", "postgres"):
            path = os.path.join(folder, f"{name}.log")
            if os.path.exists(path):
                print(f"--- {name}.log (end)\n" + open(path, "rb").read().decode("utf-8", "replace")[-1500:])
        raise
    finally:
        try:  # PostgreSQL's fast shutdown, by the PID it wrote (runuser stands between)
            with open(f"{folder}/data/postmaster.pid") as file:
                os.kill(int(file.readline()), signal.SIGINT)
        except (OSError, ValueError):
            pass
        processes.stop_all()
        remove_hosts()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(checks.results) - len(checks.failed)}/{len(checks.results)} partition checks passed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
