#!/usr/bin/env bash
# Builds and tests Examples/notes-plugin (a package that depends on Vial by path, as a user's
# would), then runs its `notes-app` the way a user does: routes, db upgrade on a scratch SQLite
# file, and a served request on an ephemeral loopback port.
set -euo pipefail
cd "$(dirname "$0")/../Examples/notes-plugin"

swift build --build-tests
swift test

app=$(swift build --show-bin-path)/notes-app
work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite:///$work/notes.db" JWT_SECRET_KEY="notes-check-secret-0123456789abcdef"

routes=$("$app" routes)
for endpoint in notes.list_notes notes.create_note notes.get_note notes.delete_note tasks.get_tasks auth.login; do
    grep -q "^$endpoint " <<<"$routes" || { echo "notes-app routes lacks $endpoint"; exit 1; }
done
grep -q "^notes.list_notes .*jwt, limit(60 per minute)" <<<"$routes" || { echo "notes routes lack their middleware"; exit 1; }

"$app" db upgrade | grep -q "Upgraded notes 0001: create notes" || { echo "db upgrade did not create notes"; exit 1; }
"$app" db current | grep -qx "notes: 0002 (head)" || { echo "notes is not at head"; exit 1; }

"$app" serve --port 0 --env testing >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*Running on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.2
done
[ -n "${port:-}" ] || { echo "notes-app serve did not start"; cat "$work/serve.log"; exit 1; }
token=$(curl -sf -X POST "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "user", "password": "password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/notes/" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"title": "from CI"}')
[ "$status" = 201 ] || { echo "POST /api/notes/ answered $status"; exit 1; }
curl -sf "http://127.0.0.1:$port/api/tasks/" -H "Authorization: Bearer $token" >/dev/null
echo "notes-plugin: tests passed; notes-app routes, db upgrade and serve checked"
