#!/usr/bin/env bash
# The reliability suite: the release `App` under faults and hostile clients, on loopback.
#   attacks   every attack issue 10 found, replayed (also run by CI)      Reliability/attacks.py
#   faults    kill -9 during 1,000 acknowledged writes; SIGTERM during 500 in-flight requests
#   pressure  10,000 idle connections + slowloris + non-readers + an upgrade flood, /health and RSS
#   fuzz      libFuzzer on the JSON parser, rule parser, JWT decoder and validators
# Results go to Reliability/results/ (one JSON line per scenario in summary.jsonl); docs/reliability.md
# reports them. Not part of `swift test`: these take minutes and measure, they do not unit-test.
#
#   Reliability/run.sh [--fuzz-runs N] [--skip-fuzz]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_runs=2000000 skip_fuzz=false
while [ $# -gt 0 ]; do
    case "$1" in
        --fuzz-runs) fuzz_runs=$2; shift 2 ;;
        --skip-fuzz) skip_fuzz=true; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
python3 -c "import jwt" 2>/dev/null || pip install --quiet --disable-pip-version-check pyjwt

if [ -z "${APP_BIN:-}" ]; then
    (cd "$root" && swift build -c release --product App 2>&1 | tail -1)
    export APP_BIN="$root/.build/release/App"
fi
# 10,000 connections need more descriptors than the usual 1,024 (the server and this client).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)"
results="$root/Reliability/results"
mkdir -p "$results"
summary="$results/summary.jsonl"
: >"$summary"
status=0
cd "$root/Reliability"
run() { # name command… → runs it, keeps its JSON lines, remembers a failure
    echo "== $1"
    if ! "${@:2}" | tee "$results/$1.log"; then status=1; fi
    grep '^{' "$results/$1.log" >>"$summary" || true
}
run attacks python3 attacks.py
run faults python3 faults.py kill9 sigterm
run pressure python3 pressure.py
if [ "$skip_fuzz" = false ]; then run fuzz ./fuzz.sh "$fuzz_runs"; fi
echo "== summary ($summary)"
cat "$summary"
exit $status
