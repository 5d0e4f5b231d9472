#!/usr/bin/env bash
# Throughput benchmark: Vial (`Examples hello`, GET /api/hello) against a bare SwiftNIO
# server returning the same bytes, both release builds, alternated in one run on loopback.
# Also the router alone (10 vs 1,000 routes) and background jobs (Benchmarks/JobBench).
# Writes docs/performance.md.
#
#   Benchmarks/run.sh [--duration SECONDS] [--rounds N] [--connections "8 64 256"]
#
# Not part of `swift test`: timings on a shared 2-core machine are too noisy to assert.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/Benchmarks/lib.sh"
duration=5
rounds=3
connections="8 64 256"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

echo "== building release binaries"
for product in Examples BareServer RouterBench JobBench App; do
    (cd "$root" && swift build -c release --product "$product" >/dev/null)
done
examples="$root/.build/release/Examples"
bare="$root/.build/release/BareServer"
routerbench="$root/.build/release/RouterBench"
jobbench="$root/.build/release/JobBench"
app="$root/.build/release/App"

results="$root/Benchmarks/results"
mkdir -p "$results"
raw="$results/raw-$(date -u +%Y%m%dT%H%M%SZ).tsv"
printf 'server\tconnections\tround\trps\trequests\tcpu_ticks\n' >"$raw"

# Every server binds an ephemeral loopback port (--port 0) and prints it; we read it back.
workdir=$(mktemp -d)
"$examples" hello --port 0 --quiet >"$workdir/hello.log" 2>&1 &
vial_pid=$!
# The same app with its access log on (the default), written to a file: the log's cost.
"$examples" hello --port 0 >"$workdir/hellolog.log" 2>&1 &
logged_pid=$!
"$bare" --port 0 >"$workdir/bare.log" 2>&1 &
bare_pid=$!
# The bundled API twice: with SimpleCache (hits) and NullCache (every read a miss), on
# throw-away databases, rate limits off, access log off (LOG_LEVEL=warning), no job workers.
# (No subshell: $! must be the server itself, so the trap below really stops it.)
DATABASE_URL="sqlite:///$workdir/hit.db" RATELIMIT_ENABLED=false LOG_LEVEL=warning JOBS_CONCURRENCY=0 \
    "$app" serve --port 0 >"$workdir/hit.log" 2>&1 &
hit_pid=$!
DATABASE_URL="sqlite:///$workdir/miss.db" RATELIMIT_ENABLED=false LOG_LEVEL=warning JOBS_CONCURRENCY=0 CACHE_TYPE=NullCache \
    "$app" serve --port 0 >"$workdir/miss.log" 2>&1 &
miss_pid=$!
trap 'kill "$vial_pid" "$logged_pid" "$bare_pid" "$hit_pid" "$miss_pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT

vial_port=$(port_of "$workdir/hello.log")
bare_port=$(port_of "$workdir/bare.log")
logged_port=$(port_of "$workdir/hellolog.log")
hit_port=$(port_of "$workdir/hit.log")
miss_port=$(port_of "$workdir/miss.log")

answers "$vial_port" /api/hello
answers "$bare_port" /api/hello
answers "$logged_port" /api/hello
answers "$hit_port" /health
answers "$miss_port" /health
for pid in "$hit_pid" "$miss_pid"; do
    kill -0 "$pid" 2>/dev/null || { echo "the App server did not start:" >&2; cat "$workdir"/*.log >&2; exit 1; }
done
hit_token=$(token_for "$hit_port")
miss_token=$(token_for "$miss_port")

# Same bytes on the wire (but for the request id's value)?
diff <(curl -s "http://127.0.0.1:$vial_port/api/hello") <(curl -s "http://127.0.0.1:$bare_port/api/hello")


run_one() { # name pid port connections round [path] [token]
    local before after out rps requests path=${6:-/api/hello}
    local auth=()
    if [ -n "${7:-}" ]; then auth=(-H "Authorization: Bearer $7"); fi
    before=$(cpu_ticks "$2")
    out=$(wrk -t1 -c"$4" -d"${duration}s" "${auth[@]}" "http://127.0.0.1:$3$path")
    after=$(cpu_ticks "$2")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1" >&2; exit 1; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$4" "$5" "$rps" "$requests" "$((after - before))" >>"$raw"
    printf '   %-5s c=%-4s round %s: %s req/s\n' "$1" "$4" "$5" "$rps"
}

echo "== warm-up"
wrk -t1 -c64 -d2s "http://127.0.0.1:$vial_port/api/hello" >/dev/null
wrk -t1 -c64 -d2s "http://127.0.0.1:$bare_port/api/hello" >/dev/null

echo "== wrk, ${duration}s per run, ${rounds} rounds, alternating"
for c in $connections; do
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) -eq 1 ]; then
            run_one vial "$vial_pid" "$vial_port" "$c" "$r"
            run_one bare "$bare_pid" "$bare_port" "$c" "$r"
        else
            run_one bare "$bare_pid" "$bare_port" "$c" "$r"
            run_one vial "$vial_pid" "$vial_port" "$c" "$r"
        fi
    done
done

echo "== access log: Examples hello logged vs --quiet, 64 connections"
wrk -t1 -c64 -d2s "http://127.0.0.1:$logged_port/api/hello" >/dev/null
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        run_one quiet "$vial_pid" "$vial_port" 64 "$r"
        run_one logged "$logged_pid" "$logged_port" 64 "$r"
    else
        run_one logged "$logged_pid" "$logged_port" 64 "$r"
        run_one quiet "$vial_pid" "$vial_port" 64 "$r"
    fi
done

echo "== bundled API: GET /api/tasks/ (20 tasks, authenticated), cache hit vs miss vs hello, 64 connections"
wrk -t1 -c64 -d2s -H "Authorization: Bearer $hit_token" "http://127.0.0.1:$hit_port/api/tasks/" >/dev/null
for r in $(seq 1 "$rounds"); do
    run_one hello "$vial_pid" "$vial_port" 64 "$r"
    run_one taskhit "$hit_pid" "$hit_port" 64 "$r" /api/tasks/ "$hit_token"
    run_one taskmiss "$miss_pid" "$miss_port" 64 "$r" /api/tasks/ "$miss_token"
done

echo "== router"
router_json=$("$routerbench")
echo "$router_json"
echo "$router_json" >"${raw%.tsv}-router.jsonl"

echo "== background jobs"
jobs_json=$("$jobbench")
echo "$jobs_json"
echo "$jobs_json" >"${raw%.tsv}-jobs.jsonl"

python3 "$root/Benchmarks/report.py" "$raw" "$(getconf CLK_TCK)" "$duration" "$rounds" "$router_json" "$jobs_json" \
    >"$root/docs/performance.md"
echo "== wrote docs/performance.md (raw numbers: $raw)"
