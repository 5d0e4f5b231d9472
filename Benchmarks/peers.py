#!/usr/bin/env python3
"""Vial beside its peers on the same real work (issue 21): `GET /api/tasks/?per_page=20` as a user
with 20 tasks — token checked, user known, one page and its total read, 4 KB of JSON written.

One database, made and seeded by Vial (`App init-db`, 20 tasks created through the API), is read
by every server — a SQLite file, or with `--engine postgres` a throw-away PostgreSQL cluster on
loopback (Scale/cluster.py's): Vial uncached (`CACHE_TYPE=NullCache`), Vial cached (`SimpleCache`, the default),
Vial's `/health/live` (the hello of the bundled app) and the peers in ../shared/peers
(Hummingbird 2 + GRDB + JWTKit, Vapor 4 + Fluent + JWT; on PostgreSQL the peers under Benchmarks/:
HummingbirdPostgresTasks on postgres-nio, VaporPostgresTasks on Fluent's PostgreSQL driver) and, with `--flask`, the Flask reference
(Benchmarks/flask-tasks: the guide's way, under gunicorn). Before measuring, every server's answer is
checked to hold the same data (tasks, count, meta; key order and `null` members aside).
Then wrk rounds alternate the servers (the order rotates each round) and each round reads the
server's CPU time from /proc: requests per second and server CPU µs per request, medians of the
rounds, and each peer's ratio to Vial's uncached list.

    swift build -c release --product App
    (cd ../shared/peers/hummingbird2-tasks && swift build -c release --scratch-path /tmp/peer-hb)
    (cd ../shared/peers/vapor4-tasks && swift build -c release --scratch-path /tmp/peer-vapor)
    python3 Benchmarks/peers.py --hummingbird /tmp/peer-hb/release/HummingbirdTasks \\
        --vapor /tmp/peer-vapor/release/VaporTasks [--rounds 5] [--duration 5] [--write-docs]
    swift build -c release --package-path Benchmarks/HummingbirdPostgresTasks --scratch-path /tmp/peer-hb-pg
    swift build -c release --package-path Benchmarks/VaporPostgresTasks --scratch-path /tmp/peer-vapor-pg
    python3 Benchmarks/peers.py --engine postgres --hummingbird /tmp/peer-hb-pg/release/HummingbirdPostgresTasks \\
        --vapor /tmp/peer-vapor-pg/release/VaporPostgresTasks [--flask] [--write-docs]

Vial runs as a user gets it (access log on, written to a file), with rate limits off (wrk would get
429s) and no job workers. Every server listens on 127.0.0.1 and is stopped by its PID.
`--write-docs` replaces the section between the `peers` markers in docs/performance.md.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scale"))
SECRET = "peers-benchmark-secret-key-0123456789abcdef"
LIST = "/api/tasks/?per_page=20"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, path, token=None, method="GET", body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as answer:
        return answer.status, json.loads(answer.read() or b"null")


def tree_cpu_seconds(root):
    """CPU time (user + system) of process `root` and all its descendants, from /proc."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # parent, utime + stime
    total, tree = 0, {root}
    for _ in range(4):  # postgres runs under runuser: root, postmaster, backends
        for pid, (parent, ticks) in stats.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
    for pid in tree:
        total += stats.get(pid, (0, 0))[1]
    return total / CLOCK_TICKS


class Server:
    """One server process on its own loopback port, stopped by its PID."""

    def __init__(self, name, argv, env, port, workdir, ready="/health"):
        self.name, self.port = name, port
        self.log = open(os.path.join(workdir, f"{name}.log"), "w")
        self.process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited: {open(self.log.name).read()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer {ready}: {open(self.log.name).read()[-2000:]}")

    def cpu_seconds(self):
        """The server's CPU time, with its workers' (gunicorn's are child processes)."""
        return tree_cpu_seconds(self.process.pid)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def normalised(answer):
    """The data an answer holds, whatever the key order and however absent members are written."""
    def task(item):
        return {key: value for key, value in item.items() if value is not None}
    return {"status": answer.get("status"), "count": answer.get("count"), "meta": answer.get("meta"),
            "data": [task(item) for item in answer.get("data", [])]}


def wrk(port, path, token, seconds, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{path} on port {port}: {bad.group(1)} answers were not 2xx")
    return rps, requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vial", default=os.path.join(ROOT, ".build/release/App"))
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--hummingbird", help="the Hummingbird peer's binary for the engine (HummingbirdTasks of "
                        "../shared/peers/hummingbird2-tasks, or Benchmarks/HummingbirdPostgresTasks)")
    parser.add_argument("--vapor", help="the Vapor peer's binary for the engine (VaporTasks of "
                        "../shared/peers/vapor4-tasks, or Benchmarks/VaporPostgresTasks)")
    parser.add_argument("--examples", help="the Examples binary (release): also `Examples hello` (GET /api/hello, "
                        "access log on), the hello the issue's goals compare with")
    parser.add_argument("--flask", action="store_true",
                        help="also the Flask reference (Benchmarks/flask-tasks) under gunicorn, 4 sync workers")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    workdir = tempfile.mkdtemp(prefix="vial-peers-")
    postgres = None
    if args.engine == "postgres":
        from cluster import Postgres  # Scale/cluster.py: initdb in a temporary folder, stopped by its PID
        postgres = Postgres()
        url = postgres.create_database("tasks")
    else:
        url = f"sqlite:///{os.path.join(workdir, 'tasks.db')}"
    vial_env = {"DATABASE_URL": url, "JWT_SECRET_KEY": SECRET, "RATELIMIT_ENABLED": "false", "JOBS_CONCURRENCY": "0"}
    subprocess.run([args.vial, "init-db"], env={**os.environ, **vial_env}, check=True, capture_output=True)

    servers = []
    try:
        def vial(name, extra):
            port = free_port()
            servers.append(Server(name, [args.vial, "serve", "--port", str(port)], {**vial_env, **extra}, port, workdir))
            return servers[-1]
        uncached = vial("vial-uncached", {"CACHE_TYPE": "NullCache"})
        cached = vial("vial-cached", {})
        # The 20 tasks, made through Vial's API, so the file holds what Vial writes.
        _, login = request(uncached.port, "/auth/login", method="POST", body={"username": "user", "password": "password"})
        token = login["access_token"]
        for index in range(20):
            request(uncached.port, "/api/tasks/", token, "POST",
                    {"title": f"Task {index}", "description": "x" * 80, "due_date": "2027-01-15"})
        peer_env = {"DATABASE_URL": url, "JWT_SECRET_KEY": SECRET}
        if args.hummingbird:
            port = free_port()
            servers.append(Server("hummingbird", [args.hummingbird, str(port)], peer_env, port, workdir))
        if args.vapor:
            port = free_port()
            servers.append(Server("vapor", [args.vapor, "serve", "--env", "production", "--hostname", "127.0.0.1",
                                            "--port", str(port)], peer_env, port, workdir))

        if args.flask:
            port = free_port()
            servers.append(Server("flask", ["gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--chdir",
                                            os.path.join(ROOT, "Benchmarks/flask-tasks"), "app:app"], peer_env, port, workdir))

        # The same data from every server, or the comparison means nothing.
        reference = normalised(request(uncached.port, LIST, token)[1])
        assert reference["count"] == 20 and len(reference["data"]) == 20, reference
        for server in servers:
            got = normalised(request(server.port, LIST, token)[1])
            if got != reference:
                sys.exit(f"{server.name} answers other data than Vial:\n{json.dumps(got)[:2000]}\n"
                         f"Vial:\n{json.dumps(reference)[:2000]}")
        print(f"every server returns the same 20 tasks (count, meta and fields checked)")

        work = [(server.name, server, LIST) for server in servers] + [("vial-hello", cached, "/health/live")]
        if args.examples:
            port = free_port()
            hello = Server("examples-hello", [args.examples, "hello", "--port", str(port)], {}, port, workdir,
                           ready="/api/hello")
            servers.append(hello)
            work.append(("examples-hello", hello, "/api/hello"))
        for _, server, path in work:  # warm-up
            wrk(server.port, path, token, 2, args.connections)
        results = {name: [] for name, _, _ in work}
        for round_ in range(args.rounds):
            shift = round_ % len(work)
            for name, server, path in work[shift:] + work[:shift]:
                before = server.cpu_seconds()
                database_before = tree_cpu_seconds(postgres.process.pid) if postgres else 0
                rps, requests = wrk(server.port, path, token, args.duration, args.connections)
                cpu = (server.cpu_seconds() - before) / requests * 1e6
                database_cpu = ((tree_cpu_seconds(postgres.process.pid) if postgres else 0) - database_before) / requests * 1e6
                results[name].append((rps, cpu, database_cpu))
                print(f"round {round_ + 1} {name:14} {rps:10.0f} req/s {cpu:7.1f} µs CPU/request"
                      + (f" (PostgreSQL {database_cpu:.1f})" if postgres else ""), flush=True)
    finally:
        for server in servers:
            server.stop()
        if postgres:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    table = report(results, args)
    print(table)
    if args.write_docs:
        write_docs(table, args.engine)


LABELS = {
    "examples-hello": "Vial `Examples hello` (`GET /api/hello`, access log on)",
    "vial-hello": "Vial `GET /health/live` (hello of the bundled app)",
    "vial-cached": "Vial, `SimpleCache` hit (the default)",
    "vial-uncached": "**Vial, `NullCache`** (token, one read, JSON every time)",
    "hummingbird": {"sqlite": "Hummingbird 2 + GRDB + JWTKit", "postgres": "Hummingbird 2 + postgres-nio + JWTKit"},
    "vapor": {"sqlite": "Vapor 4 + Fluent + JWT", "postgres": "Vapor 4 + Fluent PostgreSQL driver + JWT"},
    "flask": "Flask + Flask-SQLAlchemy + Flask-JWT-Extended, gunicorn 4 sync workers",
}
ENGINES = {"sqlite": "one SQLite file", "postgres": "one PostgreSQL 15 database on loopback (fsync off)"}


def report(results, args):
    median = {name: tuple(statistics.median(values) for values in zip(*rounds)) for name, rounds in results.items()}
    base_rps, base_cpu, _ = median["vial-uncached"]
    postgres = args.engine == "postgres"
    lines = [f"{args.rounds} alternated rounds of {args.duration} s, wrk -c{args.connections}, {ENGINES[args.engine]}; "
             f"{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores.", "",
             "| server, `GET /api/tasks/?per_page=20` | req/s | server CPU µs/request | "
             + ("PostgreSQL CPU µs/request | " if postgres else "") + "Vial uncached ÷ this (req/s) |",
             "| --- | ---: | ---: | " + ("---: | " if postgres else "") + "---: |"]
    for name in ["examples-hello", "vial-hello", "vial-cached", "vial-uncached", "hummingbird", "vapor", "flask"]:
        if name in median:
            rps, cpu, database_cpu = median[name]
            label = LABELS[name][args.engine] if isinstance(LABELS[name], dict) else LABELS[name]
            lines.append(f"| {label} | {rps:,.0f} | {cpu:,.0f} | " + (f"{database_cpu:,.0f} | " if postgres else "")
                         + f"{base_rps / rps:.2f} |")
    hello = "examples-hello" if "examples-hello" in median else "vial-hello"
    hello_rps = median[hello][0]
    lines += ["", f"Cached list ÷ hello ({LABELS[hello].split(' (')[0]}): {median['vial-cached'][0] / hello_rps:.2f} "
              f"(goal ≥ 0.85); uncached list "
              f"CPU per request: {base_cpu:.0f} µs (goal ≤ 100)."]
    return "\n".join(lines)


def write_docs(table, engine):
    path = os.path.join(ROOT, "docs/performance.md")
    text = open(path).read()
    if engine == "sqlite":
        start, end = "<!-- peers: written by Benchmarks/peers.py -->", "<!-- /peers -->"
    else:
        start, end = f"<!-- peers {engine}: written by Benchmarks/peers.py -->", f"<!-- /peers {engine} -->"
    if start not in text:
        sys.exit(f"docs/performance.md has no '{start}' marker")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    open(path, "w").write(f"{before}{start}\n{table}\n{end}{after}")


if __name__ == "__main__":
    main()
