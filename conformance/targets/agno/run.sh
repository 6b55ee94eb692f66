#!/usr/bin/env bash
# Runs the conformance suite against the real Python AgentOS (agno) on loopback.
# 1. generates an RS256 key pair in a temp dir, 2. starts app.py under uvicorn with a fresh SQLite db,
# 3. waits for /health, 4. runs agentos-conformance with json/junit/html reports into ./run/ and
# expected-failures.json, 5. stops the server. Exit code: the suite's (0 = every failure explained).
# Needs ./setup.sh first. PORT (default 7779) and extra suite flags (after --) can be given:
#   conformance/targets/agno/run.sh -- --only 'SCOPE-*'
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
port="${PORT:-7779}"
[ "${1:-}" = "--" ] && shift
if [ ! -x "$here/.venv/bin/uvicorn" ]; then
  echo "run.sh: no venv in $here/.venv; run $here/setup.sh first" >&2
  exit 3
fi
tmp="$(mktemp -d)"
mkdir -p "$here/run"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/private.pem" 2>/dev/null
openssl pkey -in "$tmp/private.pem" -pubout -out "$tmp/public.pem"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
(
  cd "$here"
  AGENTOS_PUBLIC_KEY_FILE="$tmp/public.pem" AGENTOS_AUDIENCE=agentos-conformance AGENTOS_DB_FILE="$tmp/agno.db" \
    exec "$here/.venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --log-level warning
) >"$here/run/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the AgentOS exited during start-up; see $here/run/server.log" >&2
    tail -20 "$here/run/server.log" >&2
    exit 3
  fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { echo "run.sh: /health never answered" >&2; exit 3; }
set +e
node "$root/conformance/bin/agentos-conformance.js" \
  --base-url "http://127.0.0.1:$port" \
  --signing-key "$tmp/private.pem" --alg RS256 \
  --audience agentos-conformance \
  --user-isolation \
  --config "$here/conformance.yaml" \
  --expect "$here/expected-failures.json" \
  --report "json:$here/run/report.json" \
  --report "junit:$here/run/junit.xml" \
  --report "html:$here/run/report.html" \
  "$@"
status=$?
set -e
echo "reports: $here/run/report.{json,html} $here/run/junit.xml (exit $status)" >&2
exit $status
