#!/usr/bin/env bash
# Drives the reference server through agno's own client, once per venv made by
# scripts/setup-agno-client.sh (.venv-<agno version>): starts the server on loopback (RS256 key pair in
# a temp dir, the demo entities, an in-memory database, audience verification and user isolation on),
# mints an admin token with agentos-token, runs drive.py, prints the call x result table of each
# version and exits 1 if any call failed (2 when no venv exists, 3 when the server did not start).
#   server/test/agno-client/run.sh            PORT (default 7783) to choose the port
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../../conformance/targets/lib.sh
. "$here/../../../conformance/targets/lib.sh"
port="${PORT:-7783}"
shopt -s nullglob
venvs=("$here"/.venv-*/)
if [ ${#venvs[@]} -eq 0 ]; then
  echo "run.sh: no agno venv in $here; run scripts/setup-agno-client.sh first" >&2
  exit 2
fi
target_init "$here"
AGENTOS_ID=agentos-wire AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION=true AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false \
  LOG_LEVEL=warn node "$root/server/bin/agentos-server.js" --port "$port" >"$here/run/server.log" 2>&1 &
target_started $! "$port" "the reference server"
token="$(node "$root/server/bin/agentos-token.js" --key "$tmp/private.pem" --scopes agent_os:admin \
  --sub wire-admin --aud agentos-wire --exp 1h)"
status=0
for venv in "${venvs[@]}"; do
  name="$(basename "$venv")"
  "$venv/bin/python" "$here/drive.py" --base-url "http://127.0.0.1:$port" --token "$token" \
    --results "$here/run/results-${name#.venv-}.json" --record "$here/run/record-${name#.venv-}.json" || status=1
done
exit "$status"
