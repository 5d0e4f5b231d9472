#!/usr/bin/env bash
# WebSocket conformance with a client no one here wrote: Python's `websockets` drives the bundled
# GET /api/tasks/live on a live `App serve` (127.0.0.1, stopped by its PID) through fragmented
# messages, pings between fragments, invalid UTF-8, oversized frames and messages, reserved bits,
# unmasked frames, a bad opcode and every close path; each must end with the code RFC 6455
# prescribes, read by the library from the server's close frame. Used by .ci/run.
set -euo pipefail
python3 -c "import websockets" 2>/dev/null || pip install --quiet --disable-pip-version-check websockets
source "$(dirname "$0")/lib/start-app.sh"
start_app RATELIMIT_ENABLED=false WEBSOCKET_MAX_MESSAGE_SIZE=65536
python3 "$(dirname "$0")/check_websockets.py" "$base" "$pid"
