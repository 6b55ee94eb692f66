#!/usr/bin/env bash
# Runs the conformance suite against the real Python AgentOS (agno) of one version on loopback.
# 1. generates an RS256 key pair in a temp dir, 2. starts app.py under uvicorn from VERSION/.venv with a
# fresh SQLite db, 3. waits for /health, 4. runs agentos-conformance with json/junit/html reports into
# VERSION/run/, VERSION/conformance.yaml and VERSION/expected-failures.json, 5. stops the server.
# Exit code: the suite's (0 = every failure explained). Needs `./setup.sh VERSION` first.
#   conformance/targets/agno/run.sh [2.9.0|3.1.10] [--security-key] [-- extra suite flags]
#   (default 3.1.10; PORT=7779)
# --security-key: the same app.py in security-key mode instead (OS_SECURITY_KEY set to a random key, no
# JWT configuration, authorization off): the KEY probes and the WS probes with the key, reports into
# VERSION/run-key/, failures explained in VERSION/expected-failures-key.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
version=3.1.10
case "${1:-}" in [0-9]*) version="$1"; shift ;; esac
key_mode=false
[ "${1:-}" = "--security-key" ] && { key_mode=true; shift; }
[ "${1:-}" = "--" ] && shift
dir="$here/$version"
port="${PORT:-7779}"
if [ ! -x "$dir/.venv/bin/uvicorn" ]; then
  echo "run.sh: no venv in $dir/.venv; run $here/setup.sh $version first" >&2
  exit 3
fi
issuer=https://issuer.conformance.example
if [ "$key_mode" = true ]; then
  target_init "$here" "$dir/run-key"
  target_key
  (
    cd "$here"
    # No JWT source may leak in from the caller's environment: agno would then enforce JWT instead.
    OS_SECURITY_KEY="$(cat "$key_file")" AGENTOS_DB_FILE="$tmp/agno.db" \
      exec env -u AGENTOS_PUBLIC_KEY_FILE -u JWT_VERIFICATION_KEY -u JWT_JWKS_FILE \
      "$dir/.venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --log-level warning
  ) >"$rundir/server.log" 2>&1 &
  target_started $! "$port" "the Python AgentOS $version (security-key mode)"
  target_suite "$port" --config "$dir/conformance.yaml" --expect "$dir/expected-failures-key.json" --timeout 30 "$@"
fi
target_init "$here" "$dir/run"
(
  cd "$here"
  AGENTOS_PUBLIC_KEY_FILE="$tmp/public.pem" AGENTOS_AUDIENCE=agentos-conformance AGENTOS_ISSUER="$issuer" \
    AGENTOS_DB_FILE="$tmp/agno.db" exec "$dir/.venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --log-level warning
) >"$rundir/server.log" 2>&1 &
target_started $! "$port" "the Python AgentOS $version"
# A loaded CI machine: uvicorn answers some writes (service-account minting, seeding) slowly.
flags=(--timeout 30)
# agno 3.x pins the issuer and reads roles from the `role` claim (app.py).
case "$version" in 3.*) flags+=(--issuer "$issuer" --roles-claim role) ;; esac
target_suite "$port" --seed --config "$dir/conformance.yaml" --expect "$dir/expected-failures.json" "${flags[@]}" "$@"
