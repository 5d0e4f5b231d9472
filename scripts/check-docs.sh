#!/usr/bin/env bash
# Loads /docs in a real browser (Debian's chromium, headless) with the Swagger UI assets served
# by Vial itself from a local folder (the swagger-ui dist shipped in the flask-swagger-ui PyPI
# package), and checks that the rendered page lists every operation of /openapi.json; then a
# page with Swagger UI's "Try it out" open on every operation, which must offer a file picker
# for the attachments upload (its multipart body documents the files as `format: binary`).
# Everything stays on 127.0.0.1; the server is stopped by its PID. Used by .ci/run.
set -euo pipefail
dist=$(python3 -c 'import flask_swagger_ui, os; print(os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist"))')
assets=$(mktemp -d)
cp -r "$dist"/. "$assets"/
cat >"$assets/try-it-out.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", tryItOutEnabled: true, docExpansion: "full"});</script></body></html>
HTML
browser=$(command -v chromium || command -v chromium-browser)
source "$(dirname "$0")/lib/start-app.sh"
start_app DOCS_ASSETS_DIR="$assets"

curl -sf "$base/openapi.json" >"$workdir/openapi.json"
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=20000 \
    --user-data-dir="$workdir/profile" --dump-dom "$base/docs" >"$workdir/dom.html" 2>/dev/null

python3 - "$workdir/openapi.json" "$workdir/dom.html" <<'PY'
import json, re, sys
document = json.load(open(sys.argv[1]))
dom = open(sys.argv[2]).read()
expected = sum(1 for item in document["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete"))
rendered = len(re.findall(r'class="opblock opblock-', dom))
paths = set(re.findall(r'opblock-summary-path" data-path="([^"]+)"', dom))
missing = set(document["paths"]) - paths
print(f"/docs rendered {rendered} of {expected} operations")
if rendered != expected or missing:
    print("missing paths:", sorted(missing))
    sys.exit(1)
PY

"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=20000 \
    --user-data-dir="$workdir/profile2" --dump-dom "$base/docs/assets/try-it-out.html" >"$workdir/try.html" 2>/dev/null
python3 - "$workdir/try.html" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
pickers = len(re.findall(r'<input[^>]*type="file"', dom))
print(f"Try it out on the attachments upload offers {pickers} file picker(s)")
sys.exit(0 if pickers >= 1 else 1)
PY
rm -rf "$assets"
