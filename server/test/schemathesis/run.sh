#!/usr/bin/env bash
# Runs schemathesis against the reference server, with an admin token, checking that no answer is a
# 5xx, every answer matches its documented schema and every status is documented:
#   --checks not_a_server_error,response_schema_conformance,status_code_conformance
# The server runs on loopback (RS256, audience verification, the demo entities, the scheduler, an
# in-memory database) with response validation on. Exit code: schemathesis's (0 = no failure).
# Reproducible: the seed is SCHEMATHESIS_SEED (default 20261205; a failure names its own seed).
# Needs scripts/setup-schemathesis.sh first. PORT (default 7785); extra schemathesis flags after --:
#   server/test/schemathesis/run.sh -- --max-examples 20 --seed 1
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../../conformance/targets/lib.sh
. "$here/../../../conformance/targets/lib.sh"
port="${PORT:-7785}"
[ "${1:-}" = "--" ] && shift
if [ ! -x "$here/.venv/bin/schemathesis" ]; then
  echo "run.sh: no schemathesis in $here/.venv; run scripts/setup-schemathesis.sh first" >&2
  exit 2
fi
target_init "$here"
AGENTOS_ID=agentos-schemathesis AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_DATA_DIR=:memory: AGENTOS_VALIDATE_RESPONSES=true LOG_LEVEL=warn \
  node "$root/server/bin/agentos-server.js" --port "$port" >"$here/run/server.log" 2>&1 &
target_started $! "$port" "the reference server"
token="$(node "$root/server/bin/agentos-token.js" --key "$tmp/private.pem" --scopes agent_os:admin \
  --sub schemathesis-admin --aud agentos-schemathesis --exp 2h)"
cd "$here/run"
"$here/.venv/bin/schemathesis" run "$root/spec/agentos.openapi.yaml" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance \
  --phases examples,coverage,fuzzing --max-examples 5 --seed "${SCHEMATHESIS_SEED:-20261205}" --no-color \
  --report junit --report-junit-path "$here/run/junit.xml" "$@"
