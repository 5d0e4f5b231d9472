#!/usr/bin/env python3
"""10,000 idle Server-Sent Events subscribers on one server, one event a second each: delivery
latency (p50, p99: the client's receive time minus the wall-clock time the server wrote into the
event) and the server's memory per subscriber (RSS with everyone subscribed, less RSS before, over
the count). Vial (Benchmarks/SSEBench) and the same program on Hummingbird 2
(Benchmarks/HummingbirdSSE), rounds alternated in one run; prints each round and the ratios.

    swift build -c release --product SSEBench
    swift build -c release --package-path Benchmarks/HummingbirdSSE
    python3 Benchmarks/sse.py .build/release/SSEBench Benchmarks/HummingbirdSSE/.build/release/HummingbirdSSE \
        [--subscribers N] [--seconds S] [--rounds R]

Everything on 127.0.0.1; servers stopped by their PID. The open-files limit is raised for this
process and the servers it starts.
"""
import argparse
import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def start(binary):
    log = tempfile.NamedTemporaryFile(prefix="sse-bench-", suffix=".log", delete=False)
    process = subprocess.Popen([binary, "--port", "0"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = open(log.name).read()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", text)
        if match:
            return process, int(match.group(1))
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{binary} did not start: {open(log.name).read()}")


async def subscriber(port, latencies, measuring, connected):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /ticks HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    buffer = b""
    counted = False
    try:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                return
            received = time.time_ns()
            buffer += chunk
            if not counted and b"\r\n\r\n" in buffer:
                counted = True
                connected.append(1)
            for sent in re.findall(rb"data: (\d+)\n\n", buffer):
                if measuring[0]:
                    latencies.append((received - int(sent)) / 1e6)
            buffer = buffer[buffer.rfind(b"\n\n") + 2:] if b"\n\n" in buffer else buffer
    finally:
        writer.close()


async def measure(port, pid, subscribers, seconds):
    latencies, measuring, connected = [], [False], []
    await asyncio.sleep(0.5)
    before = rss_kib(pid)
    tasks = []
    for start_index in range(0, subscribers, 500):
        for _ in range(min(500, subscribers - start_index)):
            tasks.append(asyncio.create_task(subscriber(port, latencies, measuring, connected)))
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 60
    while len(connected) < subscribers and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    during = rss_kib(pid)
    measuring[0] = True
    await asyncio.sleep(seconds)
    measuring[0] = False
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    count = len(latencies)
    return {
        "connected": len(connected),
        "events": count,
        "p50": latencies[count // 2] if count else float("nan"),
        "p99": latencies[int(count * 0.99)] if count else float("nan"),
        "kib_per_subscriber": (during - before) / max(1, len(connected)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("vial")
    parser.add_argument("hummingbird")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < arguments.subscribers + 1_000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1 << 20), hard))
    results = {"vial": [], "hummingbird": []}
    for round_number in range(1, arguments.rounds + 1):
        for name in ("vial", "hummingbird"):
            process, port = start(getattr(arguments, name))
            try:
                result = asyncio.run(measure(port, process.pid, arguments.subscribers, arguments.seconds))
            finally:
                process.terminate()
                process.wait(30)
            results[name].append(result)
            print(f"round {round_number} {name:11}: {result['connected']} subscribed, {result['events']} events, "
                  f"latency p50 {result['p50']:.1f} ms p99 {result['p99']:.1f} ms, "
                  f"{result['kib_per_subscriber']:.1f} KiB per subscriber", flush=True)
    summary = {name: {key: statistics.median(r[key] for r in rounds) for key in ("p50", "p99", "kib_per_subscriber")}
               for name, rounds in results.items()}
    vial, peer = summary["vial"], summary["hummingbird"]
    print(f"{arguments.subscribers} subscribers, medians: Vial p50 {vial['p50']:.1f} ms, p99 {vial['p99']:.1f} ms, "
          f"{vial['kib_per_subscriber']:.1f} KiB each; Hummingbird p50 {peer['p50']:.1f} ms, p99 {peer['p99']:.1f} ms, "
          f"{peer['kib_per_subscriber']:.1f} KiB each")
    print(f"ratios Vial/Hummingbird: p50 {vial['p50'] / peer['p50']:.2f}, p99 {vial['p99'] / peer['p99']:.2f}, "
          f"memory {vial['kib_per_subscriber'] / peer['kib_per_subscriber']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
