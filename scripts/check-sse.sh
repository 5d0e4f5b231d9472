#!/usr/bin/env bash
# Server-Sent Events with real clients against a live `App serve` (127.0.0.1, stopped by its PID):
# curl -N and Python's httpx each read GET /api/tasks/events event by event, while another client
# creates tasks, and each event must arrive while the stream is still open (not when it ends).
# Used by .ci/run.
set -euo pipefail
python3 -c "import httpx" 2>/dev/null || pip install --quiet --disable-pip-version-check httpx
source "$(dirname "$0")/lib/start-app.sh"
start_app RATELIMIT_ENABLED=false

token=$(curl -sf -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "user", "password": "password"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# curl -N: unbuffered, as a user would watch the stream.
curl -sN "$base/api/tasks/events" -H "Authorization: Bearer $token" >"$workdir/curl.txt" &
curl_pid=$!
trap 'kill "$curl_pid" "$pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT

python3 - "$base" "$token" "$workdir/curl.txt" <<'PY'
import json, sys, threading, time
import httpx

base, token, curl_file = sys.argv[1:4]
headers = {"Authorization": f"Bearer {token}"}
seen = []          # (title, seconds after its create was answered) as httpx reads them
created_at = {}
ready = threading.Event()

def read():
    with httpx.Client(timeout=None) as client:
        with client.stream("GET", f"{base}/api/tasks/events", headers=headers) as response:
            assert response.headers["content-type"] == "text/event-stream", response.headers
            event = {}
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    ready.set()
                elif line.startswith("event: "):
                    event["type"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:]) if event.get("type", "").startswith("task.") else line[6:]
                elif line == "" and event:
                    if event.get("type") == "task.created":
                        title = event["data"]["title"]
                        seen.append((title, max(0.0, time.monotonic() - created_at.get(title, time.monotonic()))))
                        if len(seen) == 3:
                            return
                    event = {}

reader = threading.Thread(target=read, daemon=True)
reader.start()
assert ready.wait(10), "httpx never saw the stream open"
time.sleep(0.3)  # curl subscribes at the same time
for n in range(3):
    title = f"sse check {n}"
    with httpx.Client() as client:
        answer = client.post(f"{base}/api/tasks/", headers=headers, json={"title": title})
    created_at[title] = time.monotonic()
    assert answer.status_code == 201, answer.text
    # Each event is read before the next task is even created: the stream delivers as it goes.
    deadline = time.monotonic() + 5
    while len(seen) <= n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(seen) > n, f"httpx did not receive event {n} while the stream was open"
reader.join(5)
# curl is another client on its own connection: give it a moment to have written the last event.
deadline = time.monotonic() + 5
while time.monotonic() < deadline and '"title":"sse check 2"' not in open(curl_file).read():
    time.sleep(0.02)
text = open(curl_file).read()
for n in range(3):
    assert f'"title":"sse check {n}"' in text, f"curl -N did not show event {n}:\n{text}"
print("SSE: httpx read", [f"{title} after {delay * 1000:.1f} ms" for title, delay in seen], "and curl -N showed all three, stream still open")
PY
