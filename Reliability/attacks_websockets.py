"""Issue 18's attacks on WebSockets, replayed against a live `App serve` (run by attacks.py), on
the bundled GET /api/tasks/live:

- handshakes without a key (400), with version 8 (426) or from a cross-site Origin (403);
- a handshake sent one byte a second (408, the request read timeout);
- 10,000 idle sockets: the server's memory per socket (goal: at most 32 KiB);
- a ping flood from a client that never reads the pongs;
- a client that never reads while events are published;
- a 100 MiB message (1009 from its header, before it is kept).

Everything on 127.0.0.1; the server is stopped by its PID. Frames are built by hand here: the
attacks are what no library sends.
"""
import os
import resource
import socket
import struct
import threading
import time

from attacks_streaming import flood_until_dropped, open_sockets
from common import Server

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def handshake(port, token=None, extra="", path="/api/tasks/live"):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n{auth}{extra}\r\n").encode()


def frame(opcode, payload=b"", fin=True):
    key = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", (0x80 if fin else 0) | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", (0x80 if fin else 0) | opcode, 0x80 | 127, length)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_until(sock, predicate, timeout):
    sock.settimeout(timeout)
    received = b""
    deadline = time.monotonic() + timeout
    while not predicate(received) and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        received += chunk
    return received


def close_code(data):
    """The code of the first close frame after the handshake's blank line, if one has arrived."""
    index = data.find(b"\r\n\r\n")
    if index < 0:
        return None
    index += 4
    while index + 2 <= len(data):
        opcode, length = data[index] & 0x0F, data[index + 1] & 0x7F
        offset = index + 2
        if length == 126:
            length, offset = struct.unpack("!H", data[offset:offset + 2])[0], offset + 2
        elif length == 127:
            length, offset = struct.unpack("!Q", data[offset:offset + 8])[0], offset + 8
        if offset + length > len(data):
            return None
        if opcode == 0x8 and length >= 2:
            return struct.unpack("!H", data[offset:offset + 2])[0]
        index = offset + length
    return None


def open_socket(port, token, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", port))
    sock.sendall(handshake(port, token))
    head = read_until(sock, lambda data: b"\r\n\r\n" in data, 10)
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        raise RuntimeError(f"handshake refused: {head[:80]!r}")
    return sock


def refused_handshakes(checks, server, token):
    port = server.port
    cases = [
        ("no key", handshake(port, token).replace(f"Sec-WebSocket-Key: {KEY}\r\n".encode(), b""), b"HTTP/1.1 400"),
        ("version 8", handshake(port, token).replace(b"Version: 13", b"Version: 8"), b"HTTP/1.1 426"),
        ("a cross-site Origin", handshake(port, token, "Origin: https://evil.example\r\n"), b"HTTP/1.1 403"),
        ("no token", handshake(port), b"HTTP/1.1 401"),
    ]
    answers = {}
    for name, request, expected in cases:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(request)
        answer = read_until(sock, lambda data: b"\r\n\r\n" in data, 5)
        sock.close()
        answers[name] = answer.startswith(expected)
    checks.check("18 handshakes without a key (400), with version 8 (426), cross-site (403) or without a token (401) are refused as HTTP",
                 all(answers.values()), f"{answers}")


def slow_handshake(results, port, token):
    """One byte a second: the read timeout (30 s) answers 408 and closes."""
    sock = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    answer = b""
    try:
        for byte in handshake(port, token):
            sock.sendall(bytes([byte]))
            sock.settimeout(1)
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
                break
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer += read_until(sock, lambda data: b"\r\n\r\n" in data, 5)
    results["slow"] = (answer[:12], round(time.monotonic() - started, 1))
    sock.close()


def idle_sockets(checks, server, token, total=10_000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    total = min(total, hard - 200)
    sockets_before = open_sockets(server.pid)
    before = server.rss_kb()
    socks = []
    started = time.monotonic()
    try:
        for _ in range(total):
            socks.append(open_socket(server.port, token))
        took = time.monotonic() - started
        time.sleep(1)
        during = server.rss_kb()
        per_socket = (during - before) / total
        # Still answering while they are open.
        status, _, _ = server.get("/health")
        checks.check(f"18 {total:,} idle sockets: at most 32 KiB of server memory each, /health still answers",
                     len(socks) == total and per_socket <= 32 and status == 200,
                     f"opened in {took:.1f} s; RSS {before} -> {during} KiB: {per_socket:.1f} KiB per socket; /health {status}")
    finally:
        for sock in socks:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    # Closed by their clients (no close frame: the way a page goes away), every socket is let go.
    deadline = time.monotonic() + 20
    while open_sockets(server.pid) > sockets_before + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    checks.check(f"18 {total:,} sockets that go away without a close frame leave no descriptors behind",
                 open_sockets(server.pid) <= sockets_before + 2, f"open sockets {sockets_before} -> {open_sockets(server.pid)}")
    return per_socket if socks else None


def ping_flood(checks, server, token):
    """Pings as fast as the socket takes them, never reading a pong."""
    sock = open_socket(server.port, token, receive_buffer=4096)
    before = server.rss_kb()
    ping = frame(0x9, b"x" * 125)
    sent = 0
    sock.settimeout(0.5)
    started = time.monotonic()
    try:
        while time.monotonic() - started < 10:
            sock.sendall(ping * 64)
            sent += 64
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    grown = server.rss_kb() - before
    status, _, _ = server.get("/health")
    checks.check("18 a ping flood from a client that never reads its pongs is held back, not buffered",
                 grown < 32 * 1024 and status == 200,
                 f"{sent:,} pings sent before the server stopped reading; RSS grew {grown} KiB; /health {status}")
    close_and_settle(server, sock)


def socket_lines(server):
    """Access-log lines of closed sockets (a socket's line is written when it closes)."""
    return [line for line in server.log().splitlines() if '"GET /api/tasks/live HTTP/1.1" 101' in line]


def close_and_settle(server, sock, timeout=10):
    """Closes `sock` and waits for the server to log its end, so that the next attack, which
    counts ended sockets, does not count this one (its line is written when the server notices)."""
    before = len(socket_lines(server))
    sock.close()
    deadline = time.monotonic() + timeout
    while len(socket_lines(server)) == before and time.monotonic() < deadline:
        time.sleep(0.05)


def non_reader(checks, server, token):
    sock = open_socket(server.port, token, receive_buffer=4096)
    dropped, at_end, written, took, grown = flood_until_dropped(server, token, sock, socket_lines)
    checks.check("18 a socket client that never reads is dropped, not buffered without end",
                 dropped and at_end and grown < 64 * 1024,
                 f"ended after {written} events of 10 KB ({took:.1f} s, STREAM_SEND_TIMEOUT=2); connection closed {at_end}; RSS grew {grown} KiB")
    sock.close()


def huge_message(checks, server, token):
    sock = open_socket(server.port, token)
    before = server.rss_kb()
    header = struct.pack("!BBQ", 0x82, 0x80 | 127, 100 * 1024 * 1024) + os.urandom(4)
    started = time.monotonic()
    try:
        sock.sendall(header)
        sock.settimeout(0.2)
        for _ in range(200):
            sock.sendall(b"\0" * 65536)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    received = read_until(sock, lambda data: close_code(b"\r\n\r\n" + data) is not None, 5)
    code = close_code(b"\r\n\r\n" + received)
    grown = server.rss_kb() - before
    checks.check("18 a 100 MiB message is refused with 1009 before it is kept",
                 code == 1009 and grown < 16 * 1024,
                 f"close code {code} after {time.monotonic() - started:.2f} s; RSS grew {grown} KiB")
    close_and_settle(server, sock)


def run(checks):
    server = Server(env={"RATELIMIT_ENABLED": "false", "STREAM_SEND_TIMEOUT": "2"}).start()
    try:
        token = server.login()
        results = {}
        slow = threading.Thread(target=slow_handshake, args=(results, server.port, token))
        slow.start()  # runs its 30 s beside the others
        refused_handshakes(checks, server, token)
        huge_message(checks, server, token)
        ping_flood(checks, server, token)
        non_reader(checks, server, token)
        idle_sockets(checks, server, token)
        slow.join()
        answer, took = results.get("slow", (b"", 0))
        checks.check("18 a handshake sent one byte a second gets 408", answer.startswith(b"HTTP/1.1 408"),
                     f"{answer!r} after {took} s")
    finally:
        server.stop()
