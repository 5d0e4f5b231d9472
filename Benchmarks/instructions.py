#!/usr/bin/env python3
"""Instructions per request (valgrind's callgrind), the regression guard of issue 21.

Runs the release `App serve` (as the InstructionServer product: see its main.swift) under callgrind on a throw-away SQLite database (rate limits off,
jobs not run, the access log on as a user gets it), warms each endpoint up, then counts the
instructions of a fixed number of requests sent one after another on one keep-alive connection:

  hello          GET /health/live, the smallest bundled route
  cached_list    GET /api/tasks/?per_page=20, 20 tasks, SimpleCache hit (JWT verified every time)
  uncached_list  the same with CACHE_TYPE=NullCache: JWT, SQLite page of 20 rows, JSON every time
  create         POST /api/tasks/ (a row and its queued email job)
  update         PATCH /api/tasks/<id> (read the task, write it, drop the owner's cached pages)

Instruction counts do not move with the machine's noise, so a growth is a change in the code.
The counts are compared with Benchmarks/instructions.json: more than 10 % above an entry fails.
`--update` writes the new counts there; commit them with the change and say why in its message.

  swift build -c release --product InstructionServer
  Benchmarks/instructions.py [--app .build/release/InstructionServer] [--requests N] [--update]
                             [--profiles DIR]   (then: callgrind_annotate DIR/uncached_list.callgrind)
"""
import argparse, http.client, json, os, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "Benchmarks", "instructions.json")
TOLERANCE = 1.10


class Server:
    """`App serve` under callgrind on 127.0.0.1 and an ephemeral port; stopped by its PID."""

    def __init__(self, app, workdir, name, env):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        environment = dict(os.environ, DATABASE_URL=f"sqlite:///{self.dir}/app.db", RATELIMIT_ENABLED="false",
                           JOBS_CONCURRENCY="0", **env)
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.dir}/callgrind.out.%p", app, "serve",
             "--port", "0"],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._port()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def _port(self):
        deadline = time.time() + 300  # starting under valgrind takes a while
        while time.time() < deadline:
            self.log.seek(0)
            match = re.search(r"http://127\.0\.0\.1:(\d+)", self.log.read())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.log.seek(0)
        sys.exit("the server did not start:\n" + self.log.read()[-4000:])

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            sys.exit(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def control(self, *arguments):
        subprocess.run(["callgrind_control", *arguments, str(self.process.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def count(self, requests, send, keep=None):
        """Instructions per request over `requests` calls of `send`, counted from a zeroed counter;
        the profile is copied to `keep` when given (for callgrind_annotate)."""
        self.control("--zero")
        for index in range(requests):
            send(index)
        before = set(os.listdir(self.dir))
        self.control("--dump")
        dumps = [name for name in set(os.listdir(self.dir)) - before if name.startswith("callgrind.out")]
        if not dumps:
            sys.exit("callgrind wrote no dump")
        dump = os.path.join(self.dir, sorted(dumps)[-1])
        if keep:
            shutil.copy(dump, keep)
        text = open(dump).read()
        total = int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))
        return total / requests

    def stop(self):
        self.connection.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()


def login_with_tasks(server, count=20):
    token = server.request("POST", "/auth/login", {"username": "user", "password": "password"})["access_token"]
    for index in range(count):
        server.request("POST", "/api/tasks/", {"title": f"Task {index}"}, token)
    return token


def measure(app, requests, profiles=None):
    workdir = tempfile.mkdtemp(prefix="vial-instructions-")
    counts = {}
    try:
        # Valgrind 3.19 cannot read the DWARF 5 Swift writes; the symbol table is enough for it.
        stripped = os.path.join(workdir, "server")
        subprocess.run(["strip", "--strip-debug", "-o", stripped, app], check=True)
        app = stripped
        for name, env in (("default", {}), ("nullcache", {"CACHE_TYPE": "NullCache"})):
            server = Server(app, workdir, name, env)
            try:
                token = login_with_tasks(server)
                target = server.request("POST", "/api/tasks/", {"title": "Patched"}, token)["data"]["id"]
                plans = {
                    "default": [
                        ("hello", lambda i: server.request("GET", "/health/live")),
                        ("cached_list", lambda i: server.request("GET", "/api/tasks/?per_page=20", token=token)),
                        ("create", lambda i: server.request("POST", "/api/tasks/", {"title": f"New {i}"}, token)),
                        ("update", lambda i: server.request("PATCH", f"/api/tasks/{target}", {"title": f"Patched {i}"}, token)),
                    ],
                    "nullcache": [
                        ("uncached_list", lambda i: server.request("GET", "/api/tasks/?per_page=20", token=token)),
                    ],
                }[name]
                for label, send in plans:
                    for index in range(max(20, requests // 4)):  # warm up: caches, statements, code paths
                        send(-index - 1)
                    keep = os.path.join(profiles, f"{label}.callgrind") if profiles else None
                    counts[label] = round(server.count(requests, send, keep))
                    print(f"{label:14} {counts[label]:>10,} instructions/request", flush=True)
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default=os.path.join(ROOT, ".build", "release", "InstructionServer"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--update", action="store_true", help="write the counts as the new baseline")
    parser.add_argument("--profiles", help="a folder to keep each endpoint's callgrind profile in")
    options = parser.parse_args()
    if options.profiles:
        os.makedirs(options.profiles, exist_ok=True)
    counts = measure(options.app, options.requests, options.profiles)
    if options.update:
        with open(BASELINE, "w") as file:
            json.dump(counts, file, indent=2, sort_keys=True)
            file.write("\n")
        print(f"baseline written to {os.path.relpath(BASELINE, ROOT)}")
        return
    baseline = json.load(open(BASELINE))
    failed = False
    for label, count in counts.items():
        reference = baseline.get(label)
        if reference is None:
            print(f"{label}: no baseline (run with --update)")
            failed = True
            continue
        ratio = count / reference
        verdict = "ok" if ratio <= TOLERANCE else f"MORE THAN {TOLERANCE:.2f}x the baseline"
        print(f"{label:14} {ratio:.3f} x baseline ({count:,} / {reference:,}) {verdict}")
        failed |= ratio > TOLERANCE
    if failed:
        sys.exit("instructions per request grew: find why, or update Benchmarks/instructions.json with a reason")


if __name__ == "__main__":
    main()
