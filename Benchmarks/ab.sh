#!/usr/bin/env bash
# A/B of two `App` binaries in one run on loopback — this tree's release build against another
# commit's — alternating wrk rounds so the machine's drift hits both alike:
#   - GET /api/tasks/ authenticated, 20 tasks, cache hit (the per-request middleware path);
#   - GET /health (the smallest bundled route).
# The configuration a user gets by default (access log on, SimpleCache), but rate limits off:
# under load they would answer 429s. Prints each round (requests/s and the server's CPU time per
# request, from /proc) and the B/A ratios of the medians.
#
#   Benchmarks/ab.sh A_APP B_APP [--duration SECONDS] [--rounds N] [--connections N] [--paths "P1 P2"]
# (--paths: other routes, e.g. "/health/live", the smallest route without the database;
#  "POST/api/tasks/" creates a task per request, Benchmarks/create.lua)
#
# e.g. git worktree add /tmp/old <commit> && (cd /tmp/old && swift build -c release --product App)
#      Benchmarks/ab.sh /tmp/old/.build/release/App .build/release/App
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/Benchmarks/lib.sh"

[ $# -ge 2 ] || { echo "usage: $0 A_APP B_APP [--duration S] [--rounds N] [--connections N]" >&2; exit 2; }
a_app=$1 b_app=$2
shift 2
duration=5 rounds=5 connections=64 paths="/api/tasks/ /health"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --paths) paths=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

workdir=$(mktemp -d)
start() { # name binary → starts it on a throw-away database; sets ${name}_pid
    DATABASE_URL="sqlite:///$workdir/$1.db" RATELIMIT_ENABLED=false JOBS_CONCURRENCY=0 \
        "$2" serve --port 0 >"$workdir/$1.log" 2>/dev/null &
    eval "$1_pid=$!"
}
start a "$a_app"
start b "$b_app"
trap 'kill "$a_pid" "$b_pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT
a_port=$(port_of "$workdir/a.log")
b_port=$(port_of "$workdir/b.log")
answers "$a_port" /health
answers "$b_port" /health
a_token=$(token_for "$a_port")
b_token=$(token_for "$b_port")

rps() { # port path token [pid] → "requests/s CPU-µs/request" (a path "POST/…" posts create.lua's body)
    local script=() path=$2 before after
    if [[ $path == POST/* ]]; then script=(-s "$root/Benchmarks/create.lua"); path=${path#POST}; fi
    before=$(cpu_ticks "${4:-$$}")
    wrk -t1 -c"$connections" -d"${duration}s" "${script[@]}" -H "Authorization: Bearer $3" "http://127.0.0.1:$1$path" \
        >"$workdir/wrk.out"
    after=$(cpu_ticks "${4:-$$}")
    awk '/Non-2xx|Socket errors/ {print "  wrk: " $0 > "/dev/stderr"}' "$workdir/wrk.out"
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" \
        '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %.1f\n", r, ticks / hz * 1e6 / n}' "$workdir/wrk.out"
}
declare -A results cpus
for path in $paths; do
    rps "$a_port" "$path" "$a_token" >/dev/null  # warm-up
    rps "$b_port" "$path" "$b_token" >/dev/null
    for round in $(seq 1 "$rounds"); do
        # Alternate which goes first, so neither always follows the other.
        order="a b"; [ $((round % 2)) -eq 0 ] && order="b a"
        for side in $order; do
            port_var="${side}_port" token_var="${side}_token" pid_var="${side}_pid"
            read -r value cpu < <(rps "${!port_var}" "$path" "${!token_var}" "${!pid_var}")
            results[$side$path]+="$value "
            cpus[$side$path]+="$cpu "
            printf '%s %-12s round %d: %s req/s, %s µs CPU/request\n' "$side" "$path" "$round" "$value" "$cpu"
        done
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for path in $paths; do
    a=$(median <<<"${results[a$path]}") b=$(median <<<"${results[b$path]}")
    a_cpu=$(median <<<"${cpus[a$path]}") b_cpu=$(median <<<"${cpus[b$path]}")
    printf '%-12s A %s  B %s  B/A %.2f   CPU µs/request A %s  B %s  B/A %.2f\n' "$path" "$a" "$b" \
        "$(echo "$b / $a" | bc -l)" "$a_cpu" "$b_cpu" "$(echo "$b_cpu / $a_cpu" | bc -l)"
done
