#!/usr/bin/env bash
# Large files against their peers, in one run on loopback, rounds alternated so the machine's
# drift hits both alike (curl is the client; its output goes to /dev/null):
#   - a download of a SIZE MiB file: nginx serving it from disk vs Vial (`Examples stream`,
#     /download/<file>: serveStatic → Response.file, NIOFileSystem reads, access log on);
#   - a streamed upload of it to disk: the bare SwiftNIO server (BareServer --upload:
#     NIOAsyncChannel + NIOFileSystem, each body part written as it arrives) vs Vial
#     (`Examples stream`, PUT /store: streamedBody + RequestBody.save(to:)).
# Prints each round's MiB/s and the Vial/peer ratio of the medians (the goal is ≥ 0.8).
#
#   Benchmarks/files.sh [--size MiB] [--rounds N]      (1024 and 5 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/Benchmarks/lib.sh"
size=1024 rounds=5
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
(cd "$root" && swift build -c release --product Examples >/dev/null && swift build -c release --product BareServer >/dev/null)

work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers (another user) read the file through it
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/vial/instance/downloads" "$work/nginx" "$work/bare"
head -c "$((size << 20))" /dev/urandom >"$work/vial/instance/downloads/big.bin"
chmod 644 "$work/vial/instance/downloads/big.bin"
ln "$work/vial/instance/downloads/big.bin" "$work/nginx/big.bin"
chmod 755 "$work/nginx"

# nginx: one worker per core, sendfile as its default site does, access log off (Vial's is on).
nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    fastcgi_temp_path $work/nginx-fastcgi;
    uwsgi_temp_path $work/nginx-uwsgi;
    scgi_temp_path $work/nginx-scgi;
    server { listen 127.0.0.1:$nginx_port; root $work/nginx; }
}
CONF
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.log" &
pids+=($!)
(cd "$work/vial" && exec "$root/.build/release/Examples" stream --port 0 >"$work/vial.log" 2>&1) &  # exec: $! is the server
pids+=($!)
"$root/.build/release/BareServer" --port 0 --upload "$work/bare" >"$work/bare.log" 2>&1 &
pids+=($!)
vial_port=$(port_of "$work/vial.log")
bare_port=$(port_of "$work/bare.log")
answers "$nginx_port" /big.bin >/dev/null 2>&1 || true

mibps() { # curl arguments → MiB/s of the transfer (a failed transfer stops the run)
    local out
    out=$(curl -s -o "$work/answer" -w '%{http_code} %{time_total}' "$@")
    case "$out" in
        200\ *) awk -v size="$size" -v t="${out#* }" 'BEGIN {printf "%.0f\n", size / t}' ;;
        *) echo "curl $* answered $out: $(head -c 300 "$work/answer")" >&2; exit 1 ;;
    esac
}
clear_uploads() { rm -rf "$work/bare"/* "$work/vial/instance/uploads"; }

declare -A results
for round in $(seq 1 "$rounds"); do
    nginx=$(mibps "http://127.0.0.1:$nginx_port/big.bin")
    down=$(mibps "http://127.0.0.1:$vial_port/download/big.bin")
    clear_uploads
    # (No `Expect: 100-continue`: the bare server does not answer it, and curl would wait 1 s.)
    bare=$(mibps -T "$work/nginx/big.bin" -H "Expect:" "http://127.0.0.1:$bare_port/upload")
    clear_uploads
    up=$(mibps -T "$work/nginx/big.bin" -H "Expect:" "http://127.0.0.1:$vial_port/store")
    results[nginx]+="$nginx " results[vial_download]+="$down " results[bare]+="$bare " results[vial_upload]+="$up "
    echo "round $round: download nginx $nginx, Vial $down; upload bare NIO $bare, Vial $up (MiB/s)"
done
clear_uploads

python3 - "${results[nginx]}" "${results[vial_download]}" "${results[bare]}" "${results[vial_upload]}" "$size" <<'PY'
import statistics, sys
nginx, vial_down, bare, vial_up = ([float(x) for x in arg.split()] for arg in sys.argv[1:5])
size = sys.argv[5]
down = statistics.median(vial_down) / statistics.median(nginx)
up = statistics.median(vial_up) / statistics.median(bare)
print(f"{size} MiB download: nginx {statistics.median(nginx):.0f} MiB/s, Vial {statistics.median(vial_down):.0f} MiB/s: "
      f"{down:.2f} x nginx")
print(f"{size} MiB upload to disk: bare NIO {statistics.median(bare):.0f} MiB/s, Vial {statistics.median(vial_up):.0f} MiB/s: "
      f"{up:.2f} x bare NIO")
PY
