"""Issue 17's attacks on the streaming path, replayed against a live `App serve` (run by attacks.py):

- an event-stream client that never reads is dropped (STREAM_SEND_TIMEOUT), not buffered without end;
- 10,000 event-stream clients that connect and vanish leave no file descriptors, and little
  memory, behind;
- the first event of a stream arrives while its handler is still running (curl -N's view).

Everything on 127.0.0.1; the server is stopped by its PID.
"""
import os
import socket
import time

from common import Server


def open_sockets(pid):
    """The process's open sockets (other descriptors, such as a thread pool's, come and go on their own)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def subscribe(port, token, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", port))
    sock.sendall((f"GET /api/tasks/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    return sock


def read_until(sock, needle, timeout):
    sock.settimeout(timeout)
    received = b""
    deadline = time.monotonic() + timeout
    while needle not in received and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        received += chunk
    return received


def first_event_while_running(checks, server, token):
    sock = subscribe(server.port, token)
    try:
        head = read_until(sock, b"retry: 3000", 10)
        started = time.monotonic()
        server.request("POST", "/api/tasks/", {"title": "streamed live"}, token=token)
        event = read_until(sock, b"streamed live", 5)
        took = time.monotonic() - started
        checks.check("17 an event arrives while its stream is still open (curl -N's view)",
                     b"text/event-stream" in head and b"event: task.created" in event and took < 2,
                     f"{took:.3f} s after the write")
    finally:
        sock.close()
    # The stream's access-log line is written once the server has seen the close.
    deadline = time.monotonic() + 10
    while not stream_lines(server) and time.monotonic() < deadline:
        time.sleep(0.05)


def stream_lines(server):
    """Access-log lines of ended event streams (the access log writes a stream's line when it ends)."""
    return [line for line in server.log().splitlines() if '"GET /api/tasks/events HTTP/1.1" 200' in line]


def flood_until_dropped(server, token, sock, ended_lines):
    """Writes 10 KB tasks (each an event for `sock`'s stream or socket, which reads nothing) until
    `ended_lines` (the access-log lines of ended streams) grows, for at most 60 s; then reads what
    the kernel still holds for the client and looks for the end of the connection. Answers
    (dropped, connection closed, events written, seconds, RSS growth in KiB)."""
    ended_before = len(ended_lines(server))
    before = server.rss_kb()
    description = "x" * 10_000
    written = 0
    started = time.monotonic()
    while time.monotonic() - started < 60 and len(ended_lines(server)) == ended_before:
        for _ in range(20):
            server.request("POST", "/api/tasks/", {"title": "flood", "description": description}, token=token)
            written += 1
    dropped = len(ended_lines(server)) > ended_before
    took = time.monotonic() - started
    grown = server.rss_kb() - before
    sock.settimeout(10)
    at_end = False
    try:
        while True:
            if not sock.recv(1 << 20):
                at_end = True
                break
    except ConnectionResetError:
        at_end = True
    except socket.timeout:
        pass
    return dropped, at_end, written, took, grown


def non_reader(checks, server, token):
    sock = subscribe(server.port, token, receive_buffer=4096)
    read_until(sock, b"retry: 3000", 10)  # subscribed; from now on nothing is read
    dropped, at_end, written, took, grown = flood_until_dropped(server, token, sock, stream_lines)
    checks.check("17 an event-stream client that never reads is dropped, not buffered without end",
                 dropped and at_end and grown < 64 * 1024,
                 f"ended after {written} events of 10 KB ({took:.1f} s, STREAM_SEND_TIMEOUT=2); connection closed {at_end}; RSS grew {grown} KiB")
    sock.close()


def connect_and_vanish(checks, server, token, total=10_000, batch=500):
    pid = server.process.pid
    fds_before, rss_before = open_sockets(pid), server.rss_kb()
    started = time.monotonic()
    for _ in range(total // batch):
        socks = []
        for _ in range(batch):
            try:
                socks.append(subscribe(server.port, token))
            except OSError:
                break
        for sock in socks:
            # An abortive close (RST), as a client that vanishes.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
    # Give the server a moment to notice the last ones.
    deadline = time.monotonic() + 15
    while open_sockets(pid) > fds_before and time.monotonic() < deadline:
        time.sleep(0.2)
    fds_after, rss_after = open_sockets(pid), server.rss_kb()
    status, _, _ = server.get("/health")
    checks.check("17 10,000 event-stream clients that connect and vanish leave nothing behind",
                 fds_after <= fds_before and rss_after - rss_before < 64 * 1024 and status == 200,
                 f"{total} in {time.monotonic() - started:.1f} s; open sockets {fds_before} -> {fds_after}, "
                 f"RSS {rss_before} -> {rss_after} KiB, /health {status}")


def run(checks):
    server = Server(env={"RATELIMIT_ENABLED": "false", "STREAM_SEND_TIMEOUT": "2"}).start()
    try:
        token = server.login()
        first_event_while_running(checks, server, token)
        non_reader(checks, server, token)
        connect_and_vanish(checks, server, token)
    finally:
        server.stop()
