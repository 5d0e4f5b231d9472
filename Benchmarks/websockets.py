#!/usr/bin/env python3
"""WebSockets on Vial (Benchmarks/WSBench) and on hummingbird-websocket (Benchmarks/HummingbirdWebSocket),
rounds alternated in one run, one client for both (Benchmarks/WSLoad, swift-nio's WebSocket client):

- echo: 64 connections, each sending a 32-byte text message and waiting for its echo, for 10 s:
  messages a second and the round-trip p50/p99;
- broadcast: 10,000 sockets on /broadcast, then `POST /publish` (a wall-clock stamp) each round:
  the time until the last socket has the message, p50/p99 of delivery, and the server's memory
  per socket (RSS with every socket open, less RSS before, over the count).

    swift build -c release --product WSBench --product WSLoad
    swift build -c release --package-path Benchmarks/HummingbirdWebSocket
    python3 Benchmarks/websockets.py [--rounds 3] [--seconds 10] [--sockets 10000]

Prints each round, the medians and the ratios Vial ÷ Hummingbird. Everything on 127.0.0.1;
servers stopped by their PID. Vial runs as a user gets it: the access log on.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = {
    "vial": os.path.join(ROOT, ".build/release/WSBench"),
    "hummingbird": os.path.join(ROOT, "Benchmarks/HummingbirdWebSocket/.build/release/HummingbirdWebSocketPeer"),
}
LOAD = os.path.join(ROOT, ".build/release/WSLoad")


def start(binary):
    log = tempfile.NamedTemporaryFile(prefix="ws-bench-", suffix=".log", delete=False)
    process = subprocess.Popen([binary, "--port", "0"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:(\d+)", open(log.name).read())
        if match:
            return process, int(match.group(1))
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{binary} did not start: {open(log.name).read()}")


def run(binary, arguments):
    process, port = start(binary)
    try:
        time.sleep(0.5)
        output = subprocess.run([LOAD, *arguments, "--port", str(port), "--server-pid", str(process.pid)],
                                capture_output=True, text=True, timeout=600)
        return json.loads(output.stdout.strip().splitlines()[-1])
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sockets", type=int, default=10_000)
    arguments = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and the client
    results = {name: {"echo": [], "broadcast": []} for name in SERVERS}
    for round_ in range(arguments.rounds):
        order = list(SERVERS) if round_ % 2 == 0 else list(reversed(SERVERS))
        for name in order:
            echo = run(SERVERS[name], ["echo", "--connections", str(arguments.connections), "--seconds", str(arguments.seconds)])
            results[name]["echo"].append(echo)
            print(f"round {round_ + 1} {name:12} echo: {echo['per_second']:>7} msg/s, p50 {echo['p50_ms']:.2f} ms, p99 {echo['p99_ms']:.2f} ms", flush=True)
        for name in order:
            broadcast = run(SERVERS[name], ["broadcast", "--connections", str(arguments.sockets), "--rounds", "3"])
            results[name]["broadcast"].append(broadcast)
            print(f"round {round_ + 1} {name:12} broadcast to {broadcast['sockets']}: last after {broadcast['last_ms']:.1f} ms, "
                  f"p50 {broadcast['p50_ms']:.1f} ms, p99 {broadcast['p99_ms']:.1f} ms, {broadcast['kib_per_socket']} KiB/socket", flush=True)

    def median(name, kind, key):
        return statistics.median(result[key] for result in results[name][kind])

    print("\nmedians, and Vial ÷ Hummingbird:")
    for kind, key, unit, better in [("echo", "per_second", "msg/s", "higher"), ("echo", "p50_ms", "ms", "lower"),
                                    ("echo", "p99_ms", "ms", "lower"), ("broadcast", "last_ms", "ms", "lower"),
                                    ("broadcast", "p99_ms", "ms", "lower"), ("broadcast", "kib_per_socket", "KiB", "lower")]:
        vial, peer = median("vial", kind, key), median("hummingbird", kind, key)
        print(f"  {kind:9} {key:15} Vial {vial:10.2f} {unit:5}  Hummingbird {peer:10.2f} {unit:5}  ratio {vial / peer:.2f} ({better} is better)")


if __name__ == "__main__":
    main()
