"""WebSocket conformance checks against a live `App serve` (see check-websockets.sh).

The client is the `websockets` library: it makes the handshake, masks its frames, answers pings,
parses the server's frames (and fails on a server that breaks the protocol) and reports the
close code the server sent. Frames the library refuses to send (reserved bits, bad opcodes,
unmasked, invalid close codes) are written raw on its transport.
"""
import asyncio, http.client, json, os, signal, struct, sys, time, urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

base, server_pid = sys.argv[1], int(sys.argv[2])
ws_base = base.replace("http://", "ws://")
LIMIT = 65536  # WEBSOCKET_MAX_MESSAGE_SIZE in check-websockets.sh


def post(path, body=None, token=None):
    request = urllib.request.Request(base + path, data=json.dumps(body or {}).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


token = post("/auth/login", {"username": "user", "password": "password"})["access_token"]
AUTH = {"Authorization": f"Bearer {token}"}


def raw_frame(opcode, payload=b"", fin=True, rsv=0, mask=True):
    """One frame, built by hand: what the library will not send."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, (0x80 if mask else 0) | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, length)
    else:
        header = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, length)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def closed_with(ws, timeout=5):
    """Reads until the server closes; answers the code in its close frame (None: no frame)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def ping_pong(ws):
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}


results = []


def check(name, ok, detail=""):
    results.append((name, ok))
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""))


async def expect_close(name, frames, expected, **kwargs):
    async with connect(ws_base + "/api/tasks/live", additional_headers=AUTH, max_size=None, **kwargs) as ws:
        await ping_pong(ws)
        for frame in frames:
            ws.transport.write(frame)
        code = await closed_with(ws)
        check(name, code == expected, f"got {code}, expected {expected}")


async def main():
    # Messages: whole, fragmented, with a ping between the fragments.
    async with connect(ws_base + "/api/tasks/live", additional_headers=AUTH) as ws:
        await ping_pong(ws)
        check("a text message is answered", True)

        async def fragments():
            for piece in ['{"ty', 'pe": "pi', 'ng"}']:
                yield piece
        await ws.send(fragments())
        check("a fragmented message is joined", json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"})
        ws.transport.write(raw_frame(0x1, b'{"type":', fin=False))
        ws.transport.write(raw_frame(0x9, b"between"))
        ws.transport.write(raw_frame(0x0, b'"ping"}', fin=True))
        check("a ping between fragments is answered and the message joined",
              json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"})
        started = time.monotonic()
        pong = await ws.ping(b"library ping")
        await asyncio.wait_for(pong, 5)
        check("the library's ping gets a pong", True)
        await ws.close(code=4000, reason="done")
        check("a client close is echoed with its code", ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 4000,
              f"{ws.protocol.close_rcvd}")

    async with connect(ws_base + "/api/tasks/live", additional_headers=AUTH) as ws:
        await ws.close()
        check("close 1000 is echoed", ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000)

    # Broken frames: each closes with the code RFC 6455 prescribes.
    await expect_close("invalid UTF-8 in a text message: 1007", [raw_frame(0x1, b"\xce\xba\xe1\xbd")], 1007)
    await expect_close("invalid UTF-8 across fragments: 1007",
                       [raw_frame(0x1, b"\xce", fin=False), raw_frame(0x0, b"\xff", fin=True)], 1007)
    await expect_close("reserved bit set: 1002", [raw_frame(0x1, b"x", rsv=0b010)], 1002)
    await expect_close("unmasked client frame: 1002", [raw_frame(0x1, b"x", mask=False)], 1002)
    await expect_close("reserved opcode 0x3: 1002", [raw_frame(0x3, b"")], 1002)
    await expect_close("reserved control opcode 0xB: 1002", [raw_frame(0xB, b"")], 1002)
    await expect_close("a continuation with nothing to continue: 1002", [raw_frame(0x0, b"x")], 1002)
    await expect_close("a new message inside a fragmented one: 1002",
                       [raw_frame(0x1, b"a", fin=False), raw_frame(0x1, b"b")], 1002)
    await expect_close("a fragmented ping: 1002", [raw_frame(0x9, b"p", fin=False)], 1002)
    await expect_close("a ping over 125 bytes: 1002", [raw_frame(0x9, b"p" * 126)], 1002)
    await expect_close("close code 1005 sent on the wire: 1002", [raw_frame(0x8, struct.pack("!H", 1005))], 1002)
    await expect_close("close code 999: 1002", [raw_frame(0x8, struct.pack("!H", 999))], 1002)
    await expect_close("a one-byte close payload: 1002", [raw_frame(0x8, b"\x03")], 1002)
    await expect_close("a close reason that is not UTF-8: 1007", [raw_frame(0x8, struct.pack("!H", 1000) + b"\xff")], 1007)
    await expect_close("a frame over the limit: 1009", [raw_frame(0x2, b"x" * (LIMIT + 1))], 1009)
    await expect_close("a message over the limit in fragments: 1009",
                       [raw_frame(0x2 if i == 0 else 0x0, b"x" * 30000, fin=False) for i in range(3)], 1009)

    # A 100 MiB message is refused from its header, before its bytes are kept.
    async with connect(ws_base + "/api/tasks/live", additional_headers=AUTH) as ws:
        await ping_pong(ws)
        header = struct.pack("!BBQ", 0x82, 0x80 | 127, 100 * 1024 * 1024) + os.urandom(4)
        ws.transport.write(header + b"\0" * 4096)
        code = await closed_with(ws)
        check("a 100 MiB frame header: 1009 at once", code == 1009, f"got {code}")

    # Handshakes refused as HTTP, before any upgrade.
    for name, kwargs, status in [
        ("no token: 401", {}, 401),
        ("a cross-site Origin: 403", {"additional_headers": AUTH, "origin": "https://evil.example"}, 403),
    ]:
        try:
            async with connect(ws_base + "/api/tasks/live", **kwargs):
                check(name, False, "opened")
        except InvalidStatus as refused:
            check(name, refused.response.status_code == status, f"got {refused.response.status_code}")
    for name, headers, status in [
        ("version 8: 426", {"Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, 426),
        ("no key: 400", {"Sec-WebSocket-Version": "13"}, 400),
    ]:
        # http.client sends the headers as given (urllib would replace Connection).
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
        connection.request("GET", "/api/tasks/live", headers={**AUTH, "Upgrade": "websocket", "Connection": "Upgrade", **headers})
        answer = connection.getresponse()
        check(name, answer.status == status, f"got {answer.status}")
        connection.close()

    # A browser's way in: a single-use ticket.
    ticket = post("/auth/ws-ticket", token=token)["ticket"]
    async with connect(f"{ws_base}/api/tasks/live?ticket={ticket}", origin=base) as ws:
        await ping_pong(ws)
        check("a ticket opens the socket (same origin)", True)
    try:
        async with connect(f"{ws_base}/api/tasks/live?ticket={ticket}"):
            check("a ticket opens one socket only", False, "opened twice")
    except InvalidStatus as refused:
        check("a ticket opens one socket only", refused.response.status_code == 401)

    # The token's bound: logging out closes the socket (re-checked every 5 s) with 1008.
    own = post("/auth/login", {"username": "user", "password": "password"})["access_token"]
    async with connect(ws_base + "/api/tasks/live", additional_headers={"Authorization": f"Bearer {own}"}) as ws:
        await ping_pong(ws)
        post("/auth/logout", token=own)
        code = await closed_with(ws, timeout=15)
        check("a revoked token closes its socket: 1008", code == 1008, f"got {code}")

    # Graceful shutdown: SIGTERM sends 1001 to every socket.
    sockets = [await connect(ws_base + "/api/tasks/live", additional_headers=AUTH) for _ in range(5)]
    for ws in sockets:
        await ping_pong(ws)
    os.kill(server_pid, signal.SIGTERM)
    codes = [await closed_with(ws, timeout=10) for ws in sockets]
    check("SIGTERM closes every socket with 1001", codes == [1001] * 5, f"got {codes}")


asyncio.run(main())
failed = [name for name, ok in results if not ok]
print(f"{len(results) - len(failed)}/{len(results)} WebSocket checks passed")
sys.exit(1 if failed else 0)
