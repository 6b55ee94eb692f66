#!/usr/bin/env bash
# Runs the conformance suite against the reference server (server/bin/agentos-server.js) on loopback:
# an RS256 key pair in a temp dir, the demo agents/teams/workflows, an in-memory database, RBAC with
# audience verification and user isolation on. Every MUST and SHOULD probe must pass (exit 0).
#   conformance/targets/reference/run.sh [--security-key | --authz] [-- extra suite flags]
# ISOLATION=false runs the server and the suite without user isolation (object-level probes such as
# an unknown run id cancelled behave differently there).
# --security-key: the server in security-key mode instead (OS_SECURITY_KEY a random key, no JWT source):
# the KEY probes and the WS probes with the key, reports into run-key/; every probe must pass there too.
# --authz: AgentOS 3.1's authorization model on (authz.config.yaml: issuer pinning, a role from the `role`
# claim, /authz, /users with `conformance-disabled` disabled, the decision audit), the suite with the role
# and directory fixtures (authz.yaml), reports into run-authz/; every probe must pass.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port="$(target_port 7781)"
key_mode=false
authz_mode=false
[ "${1:-}" = "--security-key" ] && { key_mode=true; shift; }
[ "${1:-}" = "--authz" ] && { authz_mode=true; shift; }
[ "${1:-}" = "--" ] && shift
if [ "$key_mode" = true ]; then
  target_init "$here" "$here/run-key"
  target_key
  # No JWT source may leak in from the caller's environment: JWT would then win over the key.
  env -u JWT_VERIFICATION_KEY -u JWT_VERIFICATION_KEY_FILE -u JWT_JWKS_FILE -u JWT_JWKS_URL -u AUTHORIZATION_ENABLED \
    OS_SECURITY_KEY="$(cat "$key_file")" AGENTOS_DEV=0 AGENTOS_ID=agentos-conformance AGENTOS_DATA_DIR=:memory: \
    AGENTOS_SCHEDULER=false LOG_LEVEL=warn node "$root/server/bin/agentos-server.js" --port "$port" \
    >"$rundir/server.log" 2>&1 &
  target_started $! "$port" "the reference server (security-key mode)"
  target_suite "$port" --config "$here/conformance.yaml" "$@"
fi
if [ "$authz_mode" = true ]; then
  target_init "$here" "$here/run-authz"
  issuer=https://issuer.conformance.example
  AGENTOS_CONFIG="$here/authz.config.yaml" AGENTOS_ID=agentos-conformance AUTHORIZATION_ENABLED=true \
    JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION=true \
    AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false LOG_LEVEL=warn \
    node "$root/server/bin/agentos-server.js" --port "$port" >"$rundir/server.log" 2>&1 &
  target_started $! "$port" "the reference server (AgentOS 3.1 authorization)"
  # The directory's disabled subject: provisioned on first sight, then disabled through /users.
  mint() {
    node "$root/server/bin/agentos-token.js" --key "$tmp/private.pem" --aud agentos-conformance --iss "$issuer" "$@"
  }
  base="http://127.0.0.1:$port"
  curl -fsS -o /dev/null -H "Authorization: Bearer $(mint --sub conformance-disabled --scopes agents:read)" "$base/agents"
  curl -fsS -o /dev/null -X PATCH -H 'content-type: application/json' -d '{"disabled": true}' \
    -H "Authorization: Bearer $(mint --sub conformance-lead --scopes agent_os:admin)" "$base/users/conformance-disabled"
  target_suite "$port" --seed --concurrency 16 --config "$here/authz.yaml" --issuer "$issuer" --roles-claim role "$@"
fi
target_init "$here"
AGENTOS_ID=agentos-conformance AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$tmp/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION="${ISOLATION:-true}" AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false \
  LOG_LEVEL=warn node "$root/server/bin/agentos-server.js" --port "$port" >"$rundir/server.log" 2>&1 &
target_started $! "$port" "the reference server"
target_suite "$port" --seed --concurrency 16 --config "$here/conformance.yaml" "$@"
