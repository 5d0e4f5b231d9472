#!/usr/bin/env bash
# Builds and tests Examples/notes-plugin (a package that depends on Vial by path, as a user's
# would), then runs its `notes-app` the way a user does: routes, db upgrade on a scratch SQLite
# file, and served requests on an ephemeral loopback port.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib/start-app.sh"
cd "$here/../Examples/notes-plugin"

swift build --build-tests
swift test

APP_BIN="$(swift build --show-bin-path)/notes-app"
export JWT_SECRET_KEY="notes-check-secret-0123456789abcdef"

routes=$("$APP_BIN" routes)
for endpoint in notes.list_notes notes.create_note notes.get_note notes.delete_note tasks.get_tasks auth.login; do
    grep -q "^$endpoint " <<<"$routes" || { echo "notes-app routes lacks $endpoint"; exit 1; }
done
grep -q "^notes.list_notes .*jwt, limit(60 per minute)" <<<"$routes" || { echo "the notes routes lack their middleware"; exit 1; }

scratch=$(mktemp -d)
DATABASE_URL="sqlite:///$scratch/notes.db" "$APP_BIN" db upgrade | grep -q "Upgraded notes 0001: create notes" \
    || { echo "db upgrade did not create the notes table"; exit 1; }
DATABASE_URL="sqlite:///$scratch/notes.db" "$APP_BIN" db current | grep -qx "notes: 0002 (head)" || { echo "notes is not at head"; exit 1; }
# The plugin's own subcommand, next to the ones the bundled plugins add.
help=$("$APP_BIN" --help)
for command in serve worker routes openapi db init-db create-user notes-stats; do
    grep -q "^  $command" <<<"$help" || { echo "notes-app --help lacks $command"; exit 1; }
done
DATABASE_URL="sqlite:///$scratch/notes.db" "$APP_BIN" init-db >/dev/null
[ "$(DATABASE_URL="sqlite:///$scratch/notes.db" "$APP_BIN" notes-stats)" = $'admin: 0\nuser: 0' ] || { echo "notes-stats is wrong"; exit 1; }
rm -rf "$scratch"

start_app APP_ENV=testing
token=$(curl -sf -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "user", "password": "password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/api/notes/" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"title": "from CI"}')
[ "$status" = 201 ] || { echo "POST /api/notes/ answered $status"; exit 1; }
curl -sf "$base/api/tasks/" -H "Authorization: Bearer $token" >/dev/null
echo "notes-plugin: tests passed; notes-app routes, db upgrade and serve checked"
