#!/usr/bin/env bash
# Runs the conformance suite against the reference server (server/bin/agentos-server.js) on loopback:
# an RS256 key pair in a temp dir, the demo agents/teams/workflows, an in-memory database, RBAC with
# audience verification and user isolation on. Every MUST and SHOULD probe must pass (exit 0).
#   conformance/targets/reference/run.sh [-- extra suite flags]
# ISOLATION=false runs the server and the suite without user isolation (object-level probes such as
# an unknown run id cancelled behave differently there).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port="${PORT:-7781}"
[ "${1:-}" = "--" ] && shift
target_init "$here"
AGENTOS_ID=agentos-conformance AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION="${ISOLATION:-true}" AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false \
  LOG_LEVEL=warn node "$root/server/bin/agentos-server.js" --port "$port" >"$rundir/server.log" 2>&1 &
target_started $! "$port" "the reference server"
target_suite "$port" --seed --concurrency 16 --config "$here/conformance.yaml" "$@"
