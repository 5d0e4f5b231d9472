#!/usr/bin/env python3
"""Throughput across instances: 1, 2 and 4 `App serve` instances behind nginx (round-robin), on
PostgreSQL and Redis, for the task list cached (`CACHE_TYPE=RedisCache`) and uncached
(`CACHE_TYPE=NullCache`: every request reads PostgreSQL), plus one instance without nginx.
Everything runs at once on loopback and wrk rounds alternate over the targets, so the
machine's drift hits all alike; figures are medians, ratios against one instance behind nginx.
The defaults a user gets (access log on), rate limits off (under load they would answer 429).

    APP_BIN=.build/release/App python3 Scale/bench.py [--duration 5] [--rounds 3] [--connections 64]

Writes the "Several instances" section of docs/performance.md (kept in Benchmarks/scale-out.md,
which Benchmarks/report.py includes when it regenerates the page) and docs/images/scale-out.png.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Nginx, Postgres, Redis  # noqa: E402
from common import Server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTS = (1, 2, 4)


def wrk(url, token, duration, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-H", f"Authorization: Bearer {token}", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    workdir = tempfile.mkdtemp(prefix="vial-bench-")
    postgres, redis = Postgres(), Redis()
    apps, proxies = {}, {}
    try:
        base = {
            "DATABASE_URL": postgres.create_database("bench"), "JWT_SECRET_KEY": "bench-secret-0123456789abcdef-0123456789",
            "RATELIMIT_ENABLED": "false", "JOBS_CONCURRENCY": "0", "JWT_BLOCKLIST_STORAGE_URI": redis.url,
            "CACHE_REDIS_URL": redis.url, "LOG_LEVEL": "info",
        }
        for kind, cache in (("cached", "RedisCache"), ("uncached", "NullCache")):
            apps[kind] = []
            for index in range(max(COUNTS)):
                folder = os.path.join(workdir, f"{kind}{index}")
                os.makedirs(folder)
                server = Server(env={**base, "CACHE_TYPE": cache}, workdir=folder)
                # The access log goes to a file, as under systemd's journal, not a pipe nobody reads.
                apps[kind].append(server.start(timeout=120))
            for count in COUNTS:
                proxies[(kind, count)] = Nginx([app.port for app in apps[kind][:count]])
        first = apps["cached"][0]
        token = first.login()
        for index in range(20):
            first.request("POST", "/api/tasks/", {"title": f"Task {index}"}, token=token)
        targets = [("cached", "direct", f"http://127.0.0.1:{first.port}/api/tasks/")]
        targets += [(kind, count, f"{proxies[(kind, count)].url}/api/tasks/") for kind in ("cached", "uncached") for count in COUNTS]
        targets.append(("uncached", "direct", f"http://127.0.0.1:{apps['uncached'][0].port}/api/tasks/"))
        results = {(kind, where): [] for kind, where, _ in targets}
        failures = 0
        for round_index in range(arguments.rounds):
            for kind, where, url in targets:
                rate, errors = wrk(url, token, arguments.duration, arguments.connections)
                failures += errors
                results[(kind, where)].append(rate)
                print(json.dumps({"round": round_index + 1, "kind": kind, "instances": where, "req_s": round(rate)}), flush=True)
        medians = {key: statistics.median(values) for key, values in results.items()}
        write_report(medians, failures, arguments)
    finally:
        for proxy in proxies.values():
            proxy.stop()
        for servers in apps.values():
            for server in servers:
                server.stop()
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def write_report(medians, failures, arguments):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    lines = [
        "## Several instances",
        "",
        "`Scale/bench.py`: `GET /api/tasks/` as a user with 20 tasks, through nginx round-robin over 1, 2",
        "and 4 `App serve` instances on one PostgreSQL and one Redis (the [deployment](deployment.md) setup:",
        "rate limits, cache and token blocklist in Redis), cached (`RedisCache`: a hit is one Redis `GET`)",
        "and uncached (`NullCache`: every request reads PostgreSQL), and one instance without nginx.",
        "All targets run at once and wrk alternates over them; medians, ratios against one instance",
        "behind nginx. Access log on, rate limits off.",
        "",
        f"- Run: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, {arguments.rounds} rounds of {arguments.duration}s per target, "
        f"`wrk -t2 -c{arguments.connections}`, {failures} non-2xx answers.",
        f"- Machine: {platform.machine()}, {cpu}, **2 cores** shared by wrk, nginx, PostgreSQL, Redis and the instances.",
        "",
        "| list | instances | req/s | × 1 behind nginx |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind in ("cached", "uncached"):
        one = medians[(kind, 1)]
        lines.append(f"| {kind} | 1, no nginx | {medians[(kind, 'direct')]:,.0f} | {medians[(kind, 'direct')] / one:.2f} |")
        for count in COUNTS:
            lines.append(f"| {kind} | {count} | {medians[(kind, count)]:,.0f} | {medians[(kind, count)] / one:.2f} |")
    lines += [
        "",
        "![Requests per second against instances behind nginx](images/scale-out.png)",
        "",
        "What this shows on this machine: more instances cannot add CPU, and every request already",
        "keeps both cores busy (wrk, nginx and Redis or PostgreSQL take their share), so the ratios",
        "measure what the extra processes cost, not what they would add on more cores. Each instance is",
        "a whole server with one event loop per core; on a machine with cores to spare, or instances",
        "on machines of their own, the shared PostgreSQL and Redis are what the instances contend for.",
        "",
    ]
    section = "\n".join(lines)
    with open(os.path.join(ROOT, "Benchmarks", "scale-out.md"), "w") as file:
        file.write(section)
    page_path = os.path.join(ROOT, "docs", "performance.md")
    page = open(page_path).read()
    if "## Several instances" in page:
        page = re.sub(r"## Several instances\n.*?(?=\n## )", section.rstrip("\n") + "\n", page, flags=re.S)
    else:
        page = page.replace("## Goals", section + "\n## Goals", 1)
    with open(page_path, "w") as file:
        file.write(page)
    plot(medians)
    print(section)


def plot(medians):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    for kind, marker in (("cached", "o"), ("uncached", "s")):
        axis.plot(COUNTS, [medians[(kind, count)] for count in COUNTS], marker=marker, label=f"{kind} (behind nginx)")
        axis.axhline(medians[(kind, "direct")], linestyle=":", linewidth=1, color=axis.lines[-1].get_color(),
                     label=f"{kind}, 1 instance without nginx")
    axis.set_xticks(COUNTS)
    axis.set_xlabel("App serve instances")
    axis.set_ylabel("requests per second")
    axis.set_title("GET /api/tasks/ (PostgreSQL + Redis), 2-core machine")
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8, loc="center right")
    figure.tight_layout()
    os.makedirs(os.path.join(ROOT, "docs", "images"), exist_ok=True)
    figure.savefig(os.path.join(ROOT, "docs", "images", "scale-out.png"))


if __name__ == "__main__":
    main()
