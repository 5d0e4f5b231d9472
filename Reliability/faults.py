#!/usr/bin/env python3
"""Process faults: kill -9 during acknowledged writes, SIGTERM during in-flight requests.

  kill9   1,000 task creates from 50 concurrent clients; the server is killed with SIGKILL once
          half are acknowledged; after a restart on the same database every acknowledged task
          (201 with its id) must be there, with its title.
  sigterm 500 connections each send one request at the same moment; SIGTERM follows as soon as
          every request is written; every one of them must get a complete 2xx answer, and the
          server must exit 0.

Prints one JSON object per scenario; exit status 1 when a check fails.
"""
import json
import signal
import socket
import sys
import threading
import time

from common import Checks, Server, send

checks = Checks()


def kill9(total=1_000, clients=50):
    server = Server(env={"RATELIMIT_ENABLED": "false"}).start()
    token = server.login()
    acknowledged = {}  # id → title
    lock = threading.Lock()
    counter = iter(range(total))
    half = threading.Event()
    errors = [0]

    def client():
        connection = server.connection(timeout=5)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            title = f"durable {index}"
            try:
                status, _, body = send(connection, "POST", "/api/tasks/", {"title": title}, token=token)
            except OSError:
                with lock:
                    errors[0] += 1
                connection.close()
                connection = server.connection(timeout=5)
                if server.process.poll() is not None:
                    return
                continue
            if status == 201:
                with lock:
                    acknowledged[body["data"]["id"]] = title
                    if len(acknowledged) >= total // 2:
                        half.set()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    half.wait(120)
    server.process.kill()  # SIGKILL: no shutdown, no flush
    server.process.wait()
    for thread in threads:
        thread.join()
    killed_at = len(acknowledged)

    server.start()  # same database file
    token = server.login()
    found, lost, wrong = 0, [], []
    connection = server.connection()
    for task_id, title in sorted(acknowledged.items()):
        status, _, body = send(connection, "GET", f"/api/tasks/{task_id}", token=token)
        if status != 200:
            lost.append(task_id)
        elif body["data"]["title"] != title:
            wrong.append(task_id)
        else:
            found += 1
    server.stop()
    result = {"scenario": "kill9", "writes": total, "clients": clients, "acknowledged": killed_at,
              "failed_in_flight": errors[0], "lost": len(lost), "wrong": len(wrong)}
    print(json.dumps(result), flush=True)
    checks.check("kill -9: no acknowledged write lost", not lost and not wrong and killed_at > 0,
                 f"{killed_at} acknowledged, {len(lost)} lost, {len(wrong)} changed")
    return result


def sigterm(connections=500):
    server = Server(env={"RATELIMIT_ENABLED": "false"}).start()
    token = server.login()
    # Open every connection and use it once, so each is accepted and idle at the start.
    sockets = []
    warm = f"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(warm)
        sockets.append(sock)
    for sock in sockets:
        read_answer(sock)
    request = (f"GET /api/tasks/?per_page=20 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").encode()
    barrier = threading.Barrier(connections + 1)
    answers = [None] * connections

    def client(index):
        sock = sockets[index]
        barrier.wait()
        try:
            sock.sendall(request)
            answers[index] = read_answer(sock)
        except OSError as error:
            answers[index] = f"error: {error}"

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(0.002)  # the requests are on their way
    server.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(60)
    code = server.process.wait(60)
    for sock in sockets:
        sock.close()
    ok = [a for a in answers if isinstance(a, int) and 200 <= a < 300]
    failures = [a for a in answers if not (isinstance(a, int) and 200 <= a < 300)]
    result = {"scenario": "sigterm", "in_flight": connections, "answered_2xx": len(ok), "failed": len(failures),
              "exit_code": code, "failures": sorted(set(map(str, failures)))[:5]}
    print(json.dumps(result), flush=True)
    checks.check("SIGTERM: every in-flight request answered", not failures, f"{len(ok)} of {connections} 2xx")
    checks.check("SIGTERM: the server exits 0", code == 0, f"exit {code}")
    return result


def read_answer(sock):
    """Reads one HTTP answer with a Content-Length body; returns its status (None if cut short)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return status


if __name__ == "__main__":
    wanted = sys.argv[1:] or ["kill9", "sigterm"]
    for name in wanted:
        {"kill9": kill9, "sigterm": sigterm}[name]()
    sys.exit(1 if checks.failed else 0)
