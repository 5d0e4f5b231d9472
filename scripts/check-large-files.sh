#!/usr/bin/env bash
# A 1 GiB attachment through a live `App serve` (127.0.0.1, stopped by its PID) with curl: a
# multipart upload, a Range download of a slice and a full download. For each, the server's RSS
# (read from /proc every 20 ms) must grow by less than 64 MiB, and the bytes must be exact
# (SHA-256 equal, the 206 slice equal to the same bytes of the file). Used by .ci/run.
#
#   scripts/check-large-files.sh [SIZE_MIB]     # 1024 by default
set -euo pipefail
size_mib=${1:-1024}
source "$(dirname "$0")/lib/start-app.sh"
start_app RATELIMIT_ENABLED=false ATTACHMENT_MAX_BYTES=$(( (size_mib + 1) << 20 )) ATTACHMENT_QUOTA_BYTES=$(( 4 * size_mib << 20 ))

token=$(curl -sf -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "user", "password": "password"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
task=$(curl -sf -X POST "$base/api/tasks/" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"title": "large file"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["id"])')

head -c "$(( size_mib << 20 ))" /dev/urandom >"$workdir/big.bin"
expected=$(sha256sum "$workdir/big.bin" | cut -d' ' -f1)

# Runs "$@" while sampling the server's RSS; prints the growth over the run in KiB.
measured() {
    python3 - "$pid" "$@" <<'PY'
import subprocess, sys, threading, time
pid, command = sys.argv[1], sys.argv[2:]
def rss():
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
baseline = peak = rss()
done = threading.Event()
def sample():
    global peak
    while not done.is_set():
        peak = max(peak, rss())
        time.sleep(0.02)
sampler = threading.Thread(target=sample)
sampler.start()
started = time.monotonic()
result = subprocess.run(command)
done.set()
sampler.join()
print(f"{peak - baseline} {time.monotonic() - started:.1f} {result.returncode}")
PY
}

failures=0
report() { # label, growth KiB, seconds, exit code, ok
    local verdict=ok
    if [ "$5" != yes ] || [ "$2" -ge $(( 64 << 10 )) ] || [ "$4" != 0 ]; then verdict=FAILED; failures=$((failures + 1)); fi
    echo "$verdict $1: RSS grew $(( $2 / 1024 )) MiB in $3 s (curl exit $4)"
}

read -r grown took code < <(measured curl -sf -o "$workdir/upload.json" -H "Authorization: Bearer $token" \
    -F "file=@$workdir/big.bin;type=application/octet-stream" "$base/api/tasks/$task/attachments")
attachment=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["data"][0]; print(d["id"], d["sha256"])' "$workdir/upload.json")
read -r id stored <<<"$attachment"
report "upload of $size_mib MiB (multipart, streamed to disk)" "$grown" "$took" "$code" "$([ "$stored" = "$expected" ] && echo yes)"

start=$(( (size_mib << 20) / 3 )); end=$(( start + (8 << 20) - 1 ))
read -r grown took code < <(measured curl -sf -o "$workdir/slice.bin" -D "$workdir/slice.head" -H "Authorization: Bearer $token" \
    -H "Range: bytes=$start-$end" "$base/api/tasks/$task/attachments/$id")
same=$(head -1 "$workdir/slice.head" | grep -q " 206 " && cmp -s "$workdir/slice.bin" <(tail -c +"$(( start + 1 ))" "$workdir/big.bin" | head -c "$(( end - start + 1 ))") && echo yes || true)
report "Range download of 8 MiB (206)" "$grown" "$took" "$code" "$same"

read -r grown took code < <(measured curl -sf -o "$workdir/download.bin" -H "Authorization: Bearer $token" "$base/api/tasks/$task/attachments/$id")
report "full download of $size_mib MiB" "$grown" "$took" "$code" "$([ "$(sha256sum "$workdir/download.bin" | cut -d' ' -f1)" = "$expected" ] && echo yes)"

[ "$failures" = 0 ] || { echo "$failures large-file check(s) failed"; exit 1; }
