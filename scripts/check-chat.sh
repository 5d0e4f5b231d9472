#!/usr/bin/env bash
# The chat example (`swift run Examples chat`) in two real browsers: two headless Chromium pages
# join one room through the page the example serves at /, each says hello once the other is in,
# and each must receive the other's greeting over its WebSocket (read from each page's DOM over
# the DevTools protocol). The server listens on 127.0.0.1 (an ephemeral port) and is stopped by its PID.
# Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
browser=$(command -v chromium || command -v chromium-browser)
examples="${EXAMPLES_BIN:-$root/.build/debug/Examples}"
[ -x "$examples" ] || (cd "$root" && swift build --product Examples)
workdir=$(mktemp -d)
"$examples" chat --port 0 >"$workdir/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT
source "$root/scripts/lib/start-app.sh"
wait_for_base "$workdir/serve.log" "the chat example"

# One headless Chromium, two pages (tabs), driven over the DevTools protocol (with Python's
# websockets): both open at once, and each page's state and lines are read until both are done.
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --remote-debugging-port=0 \
    --user-data-dir="$workdir/profile" about:blank >"$workdir/chromium.log" 2>&1 &
chromium_pid=$!
trap 'kill "$pid" "$chromium_pid" 2>/dev/null || true; wait "$chromium_pid" 2>/dev/null || true; rm -rf "$workdir" || true' EXIT
python3 - "$base" "$workdir/profile" <<'PY'
import asyncio, json, os, sys, time, urllib.request
from websockets.asyncio.client import connect

base, profile = sys.argv[1:3]
deadline = time.monotonic() + 30
while not os.path.exists(f"{profile}/DevToolsActivePort"):
    assert time.monotonic() < deadline, "Chromium did not start"
    time.sleep(0.1)
port = open(f"{profile}/DevToolsActivePort").read().split()[0]
browser_url = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version"))["webSocketDebuggerUrl"]

async def main():
    async with connect(browser_url, max_size=None) as cdp:
        ids = iter(range(1, 10**6))
        async def call(method, session=None, **params):
            number = next(ids)
            message = {"id": number, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            await cdp.send(json.dumps(message))
            while True:
                answer = json.loads(await cdp.recv())
                if answer.get("id") == number:
                    assert "error" not in answer, answer
                    return answer["result"]
        pages = {}
        for nick, other in [("ada", "bob"), ("bob", "ada")]:
            target = await call("Target.createTarget", url=f"{base}/?nick={nick}&greet=hello+from+{nick}&until={other}#check-room")
            pages[nick] = (other, (await call("Target.attachToTarget", targetId=target["targetId"], flatten=True))["sessionId"])
        script = """(() => { const state = document.getElementById('state');
            return JSON.stringify({state: state ? state.textContent : 'loading',
                lines: [...document.querySelectorAll('#log li')].map(li => li.textContent)}); })()"""
        seen = {}
        end = time.monotonic() + 30
        while time.monotonic() < end:
            for nick, (other, session) in pages.items():
                result = await call("Runtime.evaluate", session, expression=script, returnByValue=True)
                seen[nick] = json.loads(result["result"]["value"])
            if all(page["state"] == "done" for page in seen.values()):
                break
            await asyncio.sleep(0.2)
        failures = []
        for nick, (other, _) in pages.items():
            print(f"{nick}: state {seen[nick]['state']!r}, lines {seen[nick]['lines']}")
            if seen[nick]["state"] != "done" or f"{other}: hello from {other}" not in seen[nick]["lines"]:
                failures.append(f"{nick} did not receive {other}'s greeting")
        if failures:
            print("FAILED:", "; ".join(failures))
            sys.exit(1)
        print("two Chromium pages chatted through the example")

asyncio.run(main())
PY
