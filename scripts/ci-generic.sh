#!/usr/bin/env bash
# CI: the generic profile on a third-party style API (examples/petstore: OpenAPI 3.0, oauth2 scopes in
# an RFC 9068 "scope" string, integer ids), in the order a stranger would run it: lint, bundle,
# generate, then the conformance suite against an independent node:http server — 0 failures when
# sound, exit 1 when its scope check is broken.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

spec=examples/petstore/openapi.yaml
echo "--- agentos-spec lint --profile generic"
npx agentos-spec lint --profile generic "$spec"
echo "--- agentos-spec bundle INPUT OUTPUT"
npx agentos-spec bundle "$spec" "$work/petstore.yaml"
echo "--- agentos-gen (route table derived from security)"
npx agentos-gen --spec "$work/petstore.yaml" --out "$work/generated"
grep -q '"anyOf"' "$work/generated/routes.json"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"

# Starts the petstore server on a free port and sets $url to its base URL. Not run in a subshell, so
# the cleanup trap knows its pid.
start() {
  local log="$work/server-$#.log"
  node examples/petstore/server.mjs --public-key "$work/pub.pem" --audience petstore --port 0 "$@" >"$log" 2>&1 &
  pids+=("$!")
  url=""
  for _ in $(seq 100); do
    url="$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log")"
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "the petstore server did not start:" >&2; cat "$log" >&2; exit 1
}

suite() {
  npx agentos-conformance --profile generic --base-url "$1" --spec "$spec" --signing-key "$work/key.pem" \
    --audience petstore --scopes-claim scope --scope-format string --error-body fields:code,message \
    --fixture petId=1,orderId=1 "${@:2}"
}

echo "--- agentos-conformance --profile generic: the sound server passes"
start
sound="$url"
suite "$sound" --report "junit:$work/junit.xml" --report "html:$work/report.html"

echo "--- agentos-conformance --profile generic: a broken scope check (any scope instead of all) is caught"
start --broken-scope-check
broken="$url"
set +e
suite "$broken" --report "json:$work/broken.json" >"$work/broken.txt"
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "expected exit 1 (MUST failures) against the broken server, got $code" >&2
  cat "$work/broken.txt" >&2
  exit 1
fi
node -e '
  const r = require(process.argv[1]);
  const and = r.results.filter((c) => c.probeId === "SCOPE-AND" && c.status === "fail").map((c) => c.operationId).sort();
  if (and.join() !== "createPet,placeOrder,updatePet") { console.error("SCOPE-AND failures:", and); process.exit(1); }
  console.log(`broken scope check caught: SCOPE-AND fails on ${and.join(", ")}`);
' "$work/broken.json"
echo "generic profile: ok"
