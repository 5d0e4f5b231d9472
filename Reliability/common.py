"""Shared by the reliability scripts: start `App serve` on loopback, talk HTTP to it, read its RSS.

Every server binds 127.0.0.1 on an ephemeral port (`--port 0`) and is stopped by its PID.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def app_binary():
    """The release `App` (APP_BIN overrides)."""
    return os.environ.get("APP_BIN", os.path.join(ROOT, ".build", "release", "App"))


class Server:
    """One `App serve` process on a database of its own (kept across restarts)."""

    def __init__(self, env=None, workdir=None, args=()):
        self.workdir = workdir or tempfile.mkdtemp(prefix="vial-reliability-")
        self.env = dict(os.environ)
        self.env.update({"DATABASE_URL": f"sqlite:///{self.workdir}/app.db", "JOBS_CONCURRENCY": "0"})
        self.env.update(env or {})
        self.args = list(args)
        self.process = None
        self.port = None
        self.log_path = None
        self.starts = 0

    def start(self, timeout=30):
        self.starts += 1
        self.log_path = os.path.join(self.workdir, f"serve-{self.starts}.log")
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [app_binary(), "serve", "--host", "127.0.0.1", "--port", "0", *self.args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = re.search(r"Running on http://127\.0\.0\.1:(\d+)", self.log())
            if match:
                self.port = int(match.group(1))
                try:
                    wait_until(lambda: self.get("/health")[0] == 200, 10)
                except TimeoutError:
                    self.stop()  # never leave a server running behind a failed start
                    raise
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"App did not start:\n{self.log()}")

    def log(self):
        with open(self.log_path, "rb") as file:
            return file.read().decode("utf-8", "replace")

    @property
    def pid(self):
        return self.process.pid

    def send_signal(self, sig):
        self.process.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits for the exit; returns the exit code."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return self.process.returncode if self.process else None

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as file:
            for line in file:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, timeout=10):
        """(status, headers, parsed JSON or raw bytes) on a new connection."""
        connection = self.connection(timeout)
        try:
            return send(connection, method, path, body, token, headers)
        finally:
            connection.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def login(self, username="user", password="password"):
        status, _, body = self.request("POST", "/auth/login", {"username": username, "password": password})
        if status != 200:
            raise RuntimeError(f"login as {username}: {status} {body}")
        return body["access_token"]


def send(connection, method, path, body=None, token=None, headers=None):
    """One request on an open `http.client` connection: (status, headers, JSON or bytes)."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        headers.setdefault("Content-Type", "application/json")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return response.status, dict(response.getheaders()), parsed


def wait_until(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError("condition not met in time")


def health_latency_ms(server, timeout=5):
    """Milliseconds for `GET /health` on a new connection (None when it failed or timed out)."""
    start = time.monotonic()
    try:
        status, _, _ = server.get("/health", timeout=timeout)
    except OSError:
        return None
    return (time.monotonic() - start) * 1000 if status == 200 else None


class Checks:
    """Collects named pass/fail results and prints them as they come."""

    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append({"check": name, "ok": bool(ok), "detail": detail})
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    @property
    def failed(self):
        return [r for r in self.results if not r["ok"]]
