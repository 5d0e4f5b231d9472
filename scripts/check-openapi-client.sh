#!/usr/bin/env bash
# The OpenAPI document is good enough for the client generator Swift users use: the copy in
# Examples/openapi-client must be what `App openapi` writes now, the package (a client made by
# apple/swift-openapi-generator's build plugin) must build, and the client must register, log in,
# create, list, patch, read and delete a task against a live `App serve` (127.0.0.1, stopped by
# its PID). Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
example="$root/Examples/openapi-client"
document="$example/Sources/TasksClient/openapi.json"
app="${APP_BIN:-$root/.build/debug/App}"
[ -x "$app" ] || (cd "$root" && swift build --product App)

if ! "$app" openapi | diff -q - "$document" >/dev/null; then
    echo "Examples/openapi-client/Sources/TasksClient/openapi.json is not what App openapi writes; regenerate it:"
    echo "  .build/debug/App openapi > Examples/openapi-client/Sources/TasksClient/openapi.json"
    "$app" openapi | diff - "$document" | head -40
    exit 1
fi

(cd "$example" && swift build)

source "$root/scripts/lib/start-app.sh"
start_app RATELIMIT_ENABLED=false
"$example/.build/debug/TasksClient" "$base"
