#!/usr/bin/env bash
# Fuzzes six of Vial's parsers with libFuzzer (the Swift toolchain's): the JSON parser, the URL
# rule/converter parser (with a route table matching paths), the JWT decoder, the task and
# registration validators, the multipart/form-data reader, and typed models (schema checks and
# the decoder glue). Builds Reliability/Fuzz with -sanitize=fuzzer, seeds a corpus per
# target, and runs each for RUNS executions (default 2,000,000). Crashes (and violated
# properties, which trap) stop the run and leave the input in Reliability/Fuzz/work/.
#
#   Reliability/fuzz.sh [RUNS] [TARGET…]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/Reliability/Fuzz"
runs=${1:-2000000}
shift || true
targets=${*:-json rule jwt validator multipart model}

build_log=$(mktemp)
if ! (cd "$fuzz" && swift build -c release -Xswiftc -sanitize=fuzzer --product vial-fuzz >"$build_log" 2>&1); then
    grep -E "error" -A3 "$build_log" | head -40; echo "the fuzzing build failed"; exit 1
fi
tail -1 "$build_log"
binary="$fuzz/.build/release/vial-fuzz"
work="$fuzz/work"
mkdir -p "$work"

seed() { # target name content
    mkdir -p "$work/$1"
    printf '%s' "$3" >"$work/$1/seed-$2"
}
seed json object '{"title":"Buy milk","done":false,"tags":["a","b"],"n":-12.5e3,"u":"\u00e9\ud83d\ude00\n"}'
seed json array '[1,2.5,-0,1e308,true,null,{"a":{"b":[[]]}},"\\\"\/"]'
seed json deep '[[[[[[[[[[[[[[[[{"x":[[[[1]]]]}]]]]]]]]]]]]]]]]'
seed rule int $'/api/tasks/<int:task_id>\n/api/tasks/42'
seed rule path $'/docs/assets/<path:rest>\n/docs/assets/a/b/c.js'
seed rule args $'/x/<int(min=1, max=99, signed=True):n>/<string(length=2):c>/\n/x/-5/ab/'
seed rule any $'/<any(tasks, jobs):kind>/<uuid:id>\n/tasks/123e4567-e89b-12d3-a456-426614174000'
seed rule float $'/f/<float(signed=True):v>/<name>\n/f/-1.5/z'
seed multipart form $'--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nReport\r\n--XyZ\r\nContent-Disposition: form-data; name="doc"; filename="../a\\b.txt"\r\nContent-Type: text/plain\r\n\r\nline one\r\n--X\r\n--XyZ--\r\n'
seed multipart extended $'--XyZ\r\nContent-Disposition: form-data; name="f"; filename*=UTF-8\'\'%2E%2E%2F%00x.pdf\r\n\r\n\r\n--XyZ--'
seed multipart empty $'--XyZ--\r\n'
seed validator task '{"title":"Write report","description":"By Friday","status":"pending","due_date":"2026-12-24"}'
seed validator patch '{"status":"done","due_date":null}'
seed model valid '{"title":" Fuzz ","small":-3,"count":7,"tags":["a","b"],"kind":"note","level":2,"address":{"street":"s","zip":"12345"},"addresses":[{"street":"t"}],"due":"2024-02-29","at":"2026-12-04T09:30:00.5+01:00","id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","price":2.50,"ratio":1e-3,"meta":{"k":[1,2]},"clear":null,"extra":[{}]}'
seed model wrong '{"title":[1],"small":300,"count":-1,"tags":"x","kind":3,"level":"2","address":[],"due":"2023-02-29","at":"noon","id":"x","meta":{"k":[1.5]},"clear":1}'
seed model huge '{"title":"t","small":99999999999999999999999,"count":1e400,"price":-0.0}'
seed validator register '{"username":"alice","email":"alice@example.com","password":"correct horse"}'
# A token the codec accepts (sub 2, jti fuzz-seed, valid at the target's fixed clock) and relatives.
python3 - "$work/jwt" <<'PY'
import jwt, sys, os, warnings
warnings.filterwarnings("ignore")  # PyJWT finds the key short for HS512; that seed is there for its algorithm
secret = "fuzzing-secret-0123456789abcdef0123"
os.makedirs(sys.argv[1], exist_ok=True)
claims = {"sub": "2", "jti": "fuzz-seed", "type": "access", "role": "user", "iat": 1_799_999_000, "nbf": 1_799_999_000, "exp": 1_800_001_000}
tokens = {
    "valid": jwt.encode(claims, secret, algorithm="HS256"),
    "none": jwt.encode(dict(claims, sub="1"), None, algorithm="none"),
    "other-key": jwt.encode(dict(claims, sub="1"), "another-secret-0123456789abcdef0123", algorithm="HS256"),
    "hs512": jwt.encode(claims, secret, algorithm="HS512"),  # pinned to HS256: refused
}
for name, token in tokens.items():
    open(os.path.join(sys.argv[1], f"seed-{name}"), "w").write(token)
PY

results="$root/Reliability/results"
mkdir -p "$results"
for target in $targets; do
    echo "== fuzz $target: $runs runs"
    mkdir -p "$work/$target-found"
    start=$(date +%s)
    # -max_len 4096: request bodies here are small documents; longer inputs only slow the search.
    if ! VIAL_FUZZ_TARGET=$target "$binary" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$target-" -print_final_stats=1 "$work/$target-found" "$work/$target" \
        >"$results/fuzz-$target.log" 2>&1; then
        tail -30 "$results/fuzz-$target.log"
        echo "fuzz $target: FAILED (input saved under $work)"; exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$results/fuzz-$target.log")
    cov=$(grep -o 'cov: [0-9]*' "$results/fuzz-$target.log" | tail -1)
    echo "{\"target\": \"$target\", \"executions\": ${execs:-0}, \"seconds\": $(( $(date +%s) - start )), \"crashes\": 0, \"coverage\": \"${cov#cov: }\"}"
done
