#!/usr/bin/env bash
# Typed models against the `Schema` path over a socket, as users run them: ModelBench's two
# routes (POST /schema and POST /model, the same task body; the access log on) in one server on
# loopback, loaded by wrk in alternating rounds so the machine's drift hits both alike. Prints
# each round and the model/schema ratio of the median requests per second (issue 19's goal:
# typed ≤ 1.1 × the Schema path per request, i.e. a ratio of at least 0.91).
#
#   swift build -c release --product ModelBench
#   Benchmarks/models.sh [--duration SECONDS] [--rounds N] [--connections N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/Benchmarks/lib.sh"
duration=5 rounds=7 connections=64
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bench="$root/.build/release/ModelBench"
[ -x "$bench" ] || (cd "$root" && swift build -c release --product ModelBench)

workdir=$(mktemp -d)
"$bench" serve >"$workdir/serve.log" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT
port=$(port_of "$workdir/serve.log")
cat >"$workdir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "  Write the benchmark ", "description": "Typed against Schema", "status": "pending", "due_date": "2026-12-31", "tags": ["perf", "models"]}'
LUA
# Both answer 201: a refusal would be measuring something else.
for path in /schema /model; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port$path" -H 'Content-Type: application/json' \
        -d '{"title": "x", "tags": []}')
    [ "$status" = 201 ] || { echo "$path answered $status" >&2; exit 1; }
done

rps() { # path → requests per second of one round
    wrk -t2 -c"$connections" -d"${duration}s" -s "$workdir/post.lua" "http://127.0.0.1:$port$1" |
        awk '/Requests\/sec/ {print $2}'
}
rps /schema >/dev/null  # warm up
schema=() model=()
for round in $(seq 1 "$rounds"); do
    # Each goes first in every other round: neither always follows the other's load.
    if [ $((round % 2)) = 1 ]; then
        schema+=("$(rps /schema)")
        model+=("$(rps /model)")
    else
        model+=("$(rps /model)")
        schema+=("$(rps /schema)")
    fi
    echo "round $round: schema ${schema[-1]} req/s, model ${model[-1]} req/s"
done
python3 - "${schema[*]}" "${model[*]}" <<'PY'
import statistics, sys
schema = [float(x) for x in sys.argv[1].split()]
model = [float(x) for x in sys.argv[2].split()]
s, m = statistics.median(schema), statistics.median(model)
print(f'{{"schema_rps": {s:.0f}, "model_rps": {m:.0f}, "model_over_schema_rps": {m / s:.3f}, "time_per_request_model_over_schema": {s / m:.3f}}}')
PY
