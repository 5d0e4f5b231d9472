#!/usr/bin/env python3
"""Runs the deployment files against real processes, all on loopback: deploy/nginx/vial.conf
(its listen addresses, socket and certificate paths moved into a temporary folder, a
self-signed certificate) in front of two `App serve --unix` instances configured from
deploy/vial.env (database and Redis URLs pointed at throw-away servers), on PostgreSQL and
Redis. Checks the redirect to HTTPS, TLS, the proxy headers reaching the app (https Location
URLs on the public name, the client address), readiness closed to the public, both instances
serving, a stopped instance not failing requests, forged names closed unanswered, token answers
not cacheable, the per-client request limit, and a PostgreSQL outage answered with the app's
JSON 503 through nginx, at once, and recovered from without help.

    APP_BIN=.build/release/App python3 Scale/check_deploy.py
"""
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Postgres, Redis, accepts, free_port, write_nginx_config  # noqa: E402
from common import Checks, app_binary, wait_until  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env_file(path):
    values = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


class NamedTLSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with `sni` as the TLS server name (nginx picks its server by it)."""

    def __init__(self, sni, *args, **kwargs):
        self.sni = sni
        super().__init__(*args, **kwargs)

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.sni)


def hosts(checks, https, http_port, token):
    """Issue 16, item 1: no client-chosen name reaches the app or its absolute URLs."""
    try:
        status, headers, _ = https("POST", "/api/tasks/", {"title": "forged"}, token=token, headers={"Host": "evil.example"})
        answer = f"{status} Location {headers.get('Location')}"
    except (http.client.HTTPException, OSError) as error:
        answer = f"closed ({type(error).__name__})"
    checks.check("a forged Host over TLS is closed unanswered (default_server)", answer.startswith("closed"), answer)
    status, headers, _ = https("POST", "/api/tasks/", {"title": "forwarded"}, token=token,
                               headers={"X-Forwarded-Host": "evil.example"})
    checks.check("a client's X-Forwarded-Host never reaches Location", status == 201
                 and headers.get("Location", "").startswith("https://api.example.com/"), f"{status} {headers.get('Location')}")
    try:
        https("GET", "/health/live", sni="evil.example")
        answer = "handshake accepted"
    except (ssl.SSLError, OSError) as error:
        answer = f"refused ({type(error).__name__})"
    checks.check("TLS for another name is refused (ssl_reject_handshake)", answer.startswith("refused"), answer)
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        plain.request("GET", "/api/tasks/", headers={"Host": "evil.example"})
        response = plain.getresponse()
        answer = f"{response.status} {response.getheader('Location')}"
    except (http.client.HTTPException, OSError) as error:
        answer = f"closed ({type(error).__name__})"
    checks.check("plain HTTP for another name is closed, not redirected to it", answer.startswith("closed"), answer)


def outage(checks, https, postgres, token):
    """Issue 16, items 12 and 13: with PostgreSQL down, clients get the app's JSON 503 through
    nginx, at once (not after a 5 s pool wait, not 502 pages); service comes back by itself."""
    import time
    postgres.halt()
    try:
        answers = []
        for _ in range(8):
            start = time.monotonic()
            status, headers, body = https("GET", "/api/tasks/", token=token)
            code = body.get("error", {}).get("code") if isinstance(body, dict) else headers.get("Content-Type")
            answers.append((status, code, round(time.monotonic() - start, 2)))
        checks.check("during a database outage nginx passes the app's JSON 503",
                     all(status == 503 and code == "database_unavailable" for status, code, _ in answers), f"{answers}")
        # The first requests may each wait for the pool to notice; once it knows, 503 is at once.
        checks.check("once the outage is known, the 503 is at once", all(took < 1.0 for _, _, took in answers[2:]), f"{answers}")
    finally:
        postgres.resume()
    recovered(checks, https, token, "the outage")
    # Issue 16, item 11: a server that stops answering without closing anything (SIGSTOP: the
    # kernel still accepts connections, queries hang). Readiness answers within its 2 s budget.
    postgres.freeze()
    try:
        probes = []
        for _ in range(3):
            start = time.monotonic()
            status, _, body = https("GET", "/health/ready")
            state = body.get("error", {}).get("details", {}).get("database") if isinstance(body, dict) else None
            probes.append((status, state, round(time.monotonic() - start, 2)))
        checks.check("readiness answers within its budget while the database hangs",
                     all(status == 503 and took < 4 for status, _, took in probes), f"{probes}")
    finally:
        postgres.thaw()
    recovered(checks, https, token, "the database hung")


def recovered(checks, https, token, what):
    import time
    first = None
    start = time.monotonic()
    while time.monotonic() - start < 30 and first is None:
        if https("GET", "/api/tasks/", token=token)[0] == 200:
            first = round(time.monotonic() - start, 1)
        else:
            time.sleep(0.5)
    # Then every instance: ten 200s in a row within 10 s. An instance whose probe was between
    # tries (1 s apart, each bounded by 3 s) still answers 503 for that long: seen once as one 503
    # right after the other instance's first 200.
    after = []
    settle = time.monotonic()
    while time.monotonic() - settle < 10:
        after = [https("GET", "/api/tasks/", token=token)[0] for _ in range(10)]
        if after.count(200) == 10:
            break
        time.sleep(0.5)
    every = round(time.monotonic() - start, 1)
    checks.check(f"service recovers on its own after {what}, on every instance", first is not None and after.count(200) == 10,
                 f"first 200 after {first} s, every instance by {every} s: {after}")


def main():
    checks = Checks()
    folder = tempfile.mkdtemp(prefix="vial-deploy-")
    os.makedirs(f"{folder}/run")
    postgres, redis, nginx, apps = Postgres(), Redis(), None, []
    try:
        # The site file, moved onto loopback ports and into the temporary folder.
        http_port, https_port = free_port(), free_port()
        site = open(os.path.join(ROOT, "deploy", "nginx", "vial.conf")).read()
        site = site.replace("/run/vial/", f"{folder}/run/")
        site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
        site = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", site)
        site = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https_port}", site)
        site = site.replace("/etc/letsencrypt/live/api.example.com/", f"{folder}/")
        site = site.replace("/var/www/html", folder)
        with open(f"{folder}/vial.conf", "w") as file:
            file.write(site)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=api.example.com",
                        "-keyout", f"{folder}/privkey.pem", "-out", f"{folder}/fullchain.pem"], check=True, capture_output=True)
        write_nginx_config(folder, f"    include {folder}/vial.conf;")
        tested = subprocess.run(["nginx", "-t", "-p", folder, "-c", f"{folder}/nginx.conf"], capture_output=True, text=True)
        checks.check("nginx accepts deploy/nginx/vial.conf", tested.returncode == 0, " | ".join(tested.stderr.strip().splitlines()[-2:]))

        # The instances, configured from deploy/vial.env.
        env = {**os.environ, **env_file(os.path.join(ROOT, "deploy", "vial.env"))}
        env.update({"DATABASE_URL": postgres.create_database("deploy"), "RATELIMIT_STORAGE_URI": redis.url,
                    "CACHE_REDIS_URL": redis.url, "JWT_BLOCKLIST_STORAGE_URI": redis.url,
                    "JWT_SECRET_KEY": "deploy-check-secret-0123456789abcdef-0123"})
        upgraded = subprocess.run([app_binary(), "db", "upgrade"], env=env, capture_output=True, text=True)
        checks.check("App db upgrade with deploy/vial.env", upgraded.returncode == 0, f"{len(upgraded.stdout.splitlines())} steps")
        for index in (1, 2):
            log = open(f"{folder}/app{index}.log", "wb")
            apps.append(subprocess.Popen([app_binary(), "serve", "--unix", f"{folder}/run/vial-{index}.sock"], env=env,
                                         stdout=log, stderr=subprocess.STDOUT))
        wait_until(lambda: all(os.path.exists(f"{folder}/run/vial-{index}.sock") for index in (1, 2)), 30)
        nginx = subprocess.Popen(["nginx", "-p", folder, "-c", f"{folder}/nginx.conf", "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: accepts(https_port), 10)

        def https(method, path, body=None, token=None, headers=None, sni="api.example.com"):
            context = ssl.create_default_context(cafile=f"{folder}/fullchain.pem")
            context.check_hostname = False
            connection = NamedTLSConnection(sni, "127.0.0.1", https_port, context=context, timeout=10)
            headers = {"Host": "api.example.com", **(headers or {})}
            if body is not None:
                headers["Content-Type"] = "application/json"
            if token:
                headers["Authorization"] = f"Bearer {token}"
            import json
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            connection.close()
            return response.status, dict(response.getheaders()), json.loads(raw) if raw.startswith(b"{") else raw

        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/api/tasks/", headers={"Host": "api.example.com"})
        redirect = plain.getresponse()
        checks.check("plain HTTP redirects to HTTPS", redirect.status == 301
                     and redirect.getheader("Location") == "https://api.example.com/api/tasks/", f"{redirect.status} {redirect.getheader('Location')}")
        status, headers, body = https("GET", "/health/live")
        checks.check("liveness over TLS through nginx", status == 200 and "Strict-Transport-Security" in headers, f"{status} {body}")
        status, _, body = https("POST", "/auth/register", {"username": "deployer", "email": "d@example.com", "password": "Str0ng-pass!"})
        created = status == 201
        status, _, body = https("POST", "/auth/login", {"username": "deployer", "password": "Str0ng-pass!"})
        token = body.get("access_token") if isinstance(body, dict) else None
        status, headers, body = https("POST", "/api/tasks/", {"title": "deployed"}, token=token)
        checks.check("the app builds public URLs from nginx's headers (https, the public name)",
                     created and status == 201 and headers.get("Location", "").startswith("https://api.example.com/api/tasks/"),
                     f"{status} Location {headers.get('Location')}")
        status, _, _ = https("GET", "/health/ready", headers={"X-Forwarded-For": "198.51.100.1"})
        # nginx sees the check's own connection come from 127.0.0.1, which the site allows.
        checks.check("readiness answers the local load balancer", status == 200, str(status))
        served = [0, 0]
        for _ in range(10):
            https("GET", "/api/tasks/", token=token)
        logs = [open(f"{folder}/app{index}.log", "rb").read().decode() for index in (1, 2)]
        served = [log.count("GET /api/tasks/") for log in logs]
        checks.check("nginx spreads requests over both instances", all(count > 0 for count in served), f"served {served}")
        hosts(checks, https, http_port, token)
        status, headers, _ = https("GET", "/auth/me", token=token)
        checks.check("token answers are not stored by caches", headers.get("Cache-Control") == "no-store", str(headers.get("Cache-Control")))
        statuses = [https("GET", "/health/live")[0] for _ in range(300)]
        checks.check("nginx limits one client's request rate (limit_req)", 429 in statuses, f"{statuses.count(429)} of 300 got 429")
        outage(checks, https, postgres, token)
        apps[0].send_signal(signal.SIGTERM)
        apps[0].wait(30)
        statuses = [https("GET", "/health/live")[0] for _ in range(10)]
        checks.check("with one instance stopped, requests still succeed", statuses.count(200) == 10, f"{statuses}")
    finally:
        if nginx:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait(10)
        for app in apps:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
                app.wait(30)
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(checks.results) - len(checks.failed)}/{len(checks.results)} deployment checks passed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
