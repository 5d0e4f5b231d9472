#!/usr/bin/env bash
# Instructions per request under callgrind for hello, the cached and uncached task lists and a
# create, compared with Benchmarks/instructions.json (fails above 1.10x). See instructions.py.
#   Benchmarks/instructions.sh [--app PATH] [--requests N] [--update]
set -euo pipefail
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
exec python3 "$(dirname "$0")/instructions.py" "$@"
