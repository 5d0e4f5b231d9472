#!/usr/bin/env python3
"""Connection pressure: 10,000 idle connections, slowloris, clients that never read, an upgrade
flood, all at once, from a separate process, while this one probes `GET /health` on a new
connection every 100 ms and samples the server's RSS.

Runs 40 s, past the 30 s request read timeout, so the slowloris connections are cut (408)
before the end: `server_fds_peak` and `server_fds_at_end` show it.

Checks: every probe answers within 100 ms (p99 and max reported; the goal is on p99, because a
2-core machine shared with the attackers can stall any one probe), and RSS stays under the bound.
Prints one JSON object; exit status 1 when a check fails.
"""
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time

from common import Checks, Server, health_latency_ms

# Each count can be changed (PRESSURE_IDLE=0 …) to look at one attack alone.
IDLE = int(os.environ.get("PRESSURE_IDLE", 10_000))
SLOWLORIS = int(os.environ.get("PRESSURE_SLOWLORIS", 500))
NON_READERS = int(os.environ.get("PRESSURE_NON_READERS", 50))
UPGRADES = int(os.environ.get("PRESSURE_UPGRADES", 500))
DURATION = float(os.environ.get("PRESSURE_SECONDS", 40))  # past the 30 s request read timeout
RSS_BOUND_MB = 256


async def attack(port, ready, stop):
    loop = asyncio.get_running_loop()
    held = []

    async def connect():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        held.append(writer)
        return reader, writer

    async def idle():
        try:
            await connect()
        except OSError:
            pass

    async def slowloris():
        # One header byte a second: the request never completes.
        try:
            _, writer = await connect()
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            while not stop.is_set():
                writer.write(b"X")
                await writer.drain()
                await asyncio.sleep(1)
        except (OSError, ConnectionError):
            pass

    async def non_reader():
        try:
            _, writer = await connect()
            request = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
            while not stop.is_set():
                writer.write(request * 16)
                await asyncio.wait_for(writer.drain(), 1)
        except (OSError, ConnectionError, asyncio.TimeoutError):
            pass

    async def upgrade():
        try:
            _, writer = await connect()
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            garbage = b"x" * 16384
            while not stop.is_set():
                writer.write(garbage)
                await asyncio.wait_for(writer.drain(), 1)
        except (OSError, ConnectionError, asyncio.TimeoutError):
            pass

    for start in range(0, IDLE, 500):  # in batches, so the listen backlog keeps up
        await asyncio.gather(*(idle() for _ in range(min(500, IDLE - start))))
    tasks = [loop.create_task(f()) for f, n in ((slowloris, SLOWLORIS), (non_reader, NON_READERS), (upgrade, UPGRADES)) for _ in range(n)]
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    for writer in held:
        writer.transport.abort()


def attacker(port, ready, stop):
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1]),) * 2)
    asyncio.run(attack(port, ready, stop))


def open_descriptors(server):
    return len(os.listdir(f"/proc/{server.pid}/fd"))


def main():
    checks = Checks()
    server = Server().start()
    for _ in range(50):
        health_latency_ms(server)
    baseline_kb = server.rss_kb()
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    process = multiprocessing.Process(target=attacker, args=(server.port, ready, stop))
    process.start()
    opened = time.monotonic()
    ready.wait(120)
    setup_s = time.monotonic() - opened
    latencies, failures, peak_kb, peak_fds = [], 0, 0, 0
    end = time.monotonic() + DURATION
    while time.monotonic() < end:
        latency = health_latency_ms(server, timeout=5)
        if latency is None:
            failures += 1
        else:
            latencies.append(latency)
        peak_kb = max(peak_kb, server.rss_kb())
        peak_fds = max(peak_fds, open_descriptors(server))
        time.sleep(0.1)
    end_fds = open_descriptors(server)
    stop.set()
    process.join(30)
    time.sleep(2)
    after_kb = server.rss_kb()
    after = health_latency_ms(server)
    server.stop()
    latencies.sort()
    result = {
        "scenario": "pressure", "idle": IDLE, "slowloris": SLOWLORIS, "non_readers": NON_READERS, "upgrades": UPGRADES,
        "seconds": DURATION, "setup_s": round(setup_s, 1), "server_fds_peak": peak_fds, "server_fds_at_end": end_fds,
        "probes": len(latencies) + failures, "probe_failures": failures,
        "health_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "health_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1) if latencies else None,
        "health_max_ms": round(latencies[-1], 1) if latencies else None,
        "rss_baseline_mb": round(baseline_kb / 1024, 1), "rss_peak_mb": round(peak_kb / 1024, 1),
        "rss_after_mb": round(after_kb / 1024, 1), "health_after_ms": round(after, 1) if after else None,
    }
    print(json.dumps(result), flush=True)
    checks.check("pressure: /health answered every probe", failures == 0, f"{failures} failed")
    checks.check("pressure: /health p99 under 100 ms", result["health_p99_ms"] is not None and result["health_p99_ms"] < 100,
                 f"p50 {result['health_p50_ms']} ms, p99 {result['health_p99_ms']} ms, max {result['health_max_ms']} ms")
    checks.check(f"pressure: RSS under {RSS_BOUND_MB} MB", peak_kb < RSS_BOUND_MB * 1024,
                 f"baseline {result['rss_baseline_mb']} MB, peak {result['rss_peak_mb']} MB, after {result['rss_after_mb']} MB")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
