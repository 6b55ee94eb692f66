#!/usr/bin/env bash
# Runs the conformance suite against the reference server (server/bin/agentos-server.js) on loopback:
# an RS256 key pair in a temp dir, the demo agents/teams/workflows, an in-memory database, RBAC with
# audience verification and user isolation on. Every MUST and SHOULD probe must pass (exit 0).
#   conformance/targets/reference/run.sh [-- extra suite flags]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
port="${PORT:-7781}"
[ "${1:-}" = "--" ] && shift
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
AGENTOS_ID=agentos-conformance AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION=true AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false \
  LOG_LEVEL=warn node "$root/server/bin/agentos-server.js" --port "$port" >"$here/run/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited during start-up; see $here/run/server.log" >&2
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
  --report "json:$here/run/report.json" \
  --report "junit:$here/run/junit.xml" \
  --report "html:$here/run/report.html" \
  "$@"
status=$?
set -e
echo "reports: $here/run/report.{json,html} $here/run/junit.xml (exit $status)" >&2
exit $status
