-- wrk script: every request creates a task (POST /api/tasks/ with a small JSON body).
-- Used by Benchmarks/ab.sh for a path written "POST/api/tasks/".
wrk.method = "POST"
wrk.body = '{"title": "Benchmark task", "description": "made by wrk"}'
wrk.headers["Content-Type"] = "application/json"
