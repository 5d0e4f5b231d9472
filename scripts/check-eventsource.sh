#!/usr/bin/env bash
# A real browser's EventSource against a live `App serve` (127.0.0.1, stopped by its PID): a page
# served by the app (from DOCS_ASSETS_DIR, at /docs/assets) opens GET /api/tasks/events with its
# token in the query (JWT_TOKEN_LOCATION=headers,query_string: EventSource cannot send headers)
# and writes each task.created event into its DOM, while another client creates tasks. Headless
# Chromium dumps the DOM once the page has seen three events and closed the stream; the check
# reads the titles from it, and checks that the access log never wrote the token.
# Used by .ci/run.
set -euo pipefail
browser=$(command -v chromium || command -v chromium-browser)
pages=$(mktemp -d)
cat >"$pages/events.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>Live tasks</title></head>
<body><p id="state">connecting</p><ul id="tasks"></ul>
<script>
const token = location.hash.slice(1);
const events = new EventSource("/api/tasks/events?jwt=" + encodeURIComponent(token));
const list = document.getElementById("tasks");
events.onopen = () => { document.getElementById("state").textContent = "open"; };
events.addEventListener("task.created", (event) => {
  const task = JSON.parse(event.data);
  const item = document.createElement("li");
  item.className = "task";
  item.textContent = task.title;
  list.appendChild(item);
  if (list.children.length === 3) {
    events.close();
    document.getElementById("state").textContent = "done";
  }
});
events.onerror = () => { document.getElementById("state").textContent = "error " + events.readyState; };
</script></body></html>
HTML
source "$(dirname "$0")/lib/start-app.sh"
start_app RATELIMIT_ENABLED=false JWT_TOKEN_LOCATION=headers,query_string DOCS_ASSETS_DIR="$pages" LOG_LEVEL=info
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$workdir" "$pages"' EXIT

token=$(curl -sf -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "user", "password": "password"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# Another client creates a task every 300 ms until the browser is done (at most 60 tasks).
(
    for n in $(seq 1 60); do
        curl -sf -o /dev/null -X POST "$base/api/tasks/" -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' -d "{\"title\": \"browser check $n\"}" || true
        sleep 0.3
    done
) &
writer=$!
trap 'kill "$writer" "$pid" 2>/dev/null || true; rm -rf "$workdir" "$pages"' EXIT

# Virtual time waits while the stream is open: the DOM is dumped once the page has closed it.
timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=30000 \
    --user-data-dir="$workdir/profile" --dump-dom "$base/docs/assets/events.html#$token" >"$workdir/dom.html" 2>/dev/null || true
kill "$writer" 2>/dev/null || true

python3 - "$workdir/dom.html" "$workdir/serve.log" "$token" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
log = open(sys.argv[2]).read()
token = sys.argv[3]
state = re.search(r'<p id="state">([^<]*)</p>', dom)
titles = re.findall(r'<li class="task">([^<]*)</li>', dom)
print(f"EventSource in Chromium: state {state.group(1) if state else None!r}, events {titles}")
failures = []
if not state or state.group(1) != "done" or len(titles) != 3 or not all(t.startswith("browser check ") for t in titles):
    failures.append("the page did not receive three task.created events")
if token in log:
    failures.append("the access log wrote the token")
if "events?jwt=[redacted]" not in log:
    failures.append("the access log has no redacted event-stream line")
if failures:
    print("FAILED:", "; ".join(failures))
    sys.exit(1)
PY
