# Sourced by the check scripts: starts the debug `App serve` (or the executable in $APP_BIN) on
# 127.0.0.1 and an ephemeral port with the environment given as arguments (VAR=value …), on a
# throw-away database; sets $base, $pid and $workdir and stops the server (by its PID) when the
# calling script exits.
start_app() {
    local root app
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    app="${APP_BIN:-$root/.build/debug/App}"
    [ -x "$app" ] || (cd "$root" && swift build --product App)
    workdir=$(mktemp -d)
    env DATABASE_URL="sqlite:///$workdir/app.db" LOG_LEVEL=warning "$@" \
        "$app" serve --host 127.0.0.1 --port 0 >"$workdir/serve.log" 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT
    wait_for_base "$workdir/serve.log" App
}

# Waits (up to 20 s) for a Vial server's " * Running on http://127.0.0.1:PORT" line in LOG and
# sets $base; NAME says who did not start, with the log, when it never comes.
wait_for_base() {
    local port=""
    for _ in $(seq 1 200); do
        port=$(sed -n 's/.*Running on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "$2 did not start:"; cat "$1"; exit 1; }
    base="http://127.0.0.1:$port"
}
