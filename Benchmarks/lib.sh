# Sourced by the benchmark scripts: finding a server's port, waiting for it, a token with 20
# tasks behind it, and a process's CPU time.

port_of() { # log file → the port its server printed (waits up to 20 s)
    local port=""
    for _ in $(seq 1 200); do
        port=$(grep -o 'http://127.0.0.1:[0-9]*' "$1" 2>/dev/null | head -1 | cut -d: -f3)
        [ -n "$port" ] && { echo "$port"; return; }
        sleep 0.1
    done
    echo "no port in $1:" >&2; cat "$1" >&2; exit 1
}
answers() { # port path → waits (up to 10 s) until the server answers path
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$1$2" >/dev/null && return
        sleep 0.1
    done
}
token_for() { # port → an access token for user/password, after creating 20 tasks
    local token
    token=$(curl -s -X POST "http://127.0.0.1:$1/auth/login" -H 'Content-Type: application/json' \
        -d '{"username":"user","password":"password"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
    for i in $(seq 1 20); do
        curl -s -o /dev/null -X POST "http://127.0.0.1:$1/api/tasks/" -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' -d "{\"title\": \"Task $i\"}"
    done
    echo "$token"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
