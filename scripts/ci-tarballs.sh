#!/usr/bin/env bash
# The packages as a stranger gets them: builds every workspace package, packs each into a tarball,
# installs the tarballs in an empty folder outside the repository (only the npm registry besides them:
# nothing is linked from the workspace), then runs every bin's --help and --version, the README's
# examples against the installed packages, and type-checks a small consumer with
# moduleResolution node16 and bundler.
#   bash scripts/ci-tarballs.sh            (.ci/run runs it; KEEP=1 keeps the temp folder)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export NO_COLOR=1
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
t0=$SECONDS
say() { printf -- '--- %s (%ss)\n' "$*" "$((SECONDS - t0))"; }
fail() { echo "ci-tarballs: $*" >&2; exit 1; }

packages=(core runtime spec generator server sdk conformance)
version="$(node -p 'require("./package.json").version')"

say "build every package (npm run build)"
npm run -s build

say "npm pack each package"
mkdir -p "$work/packs"
for p in "${packages[@]}"; do
  npm pack -w "@agentos/$p" --pack-destination "$work/packs" --ignore-scripts --silent >/dev/null
done
ls "$work/packs"
for tgz in "$work/packs"/*.tgz; do
  list="$(tar -tzf "$tgz")"
  name="$(basename "$tgz")"
  for f in package/LICENSE package/README.md package/package.json; do
    grep -qx "$f" <<<"$list" || fail "$name lacks $f"
  done
  # No tests, no TypeScript sources.
  bad="$(grep -E '(^package/(src|test)/|\.test\.|/fixtures/|\.tsbuildinfo$|\.map$)' <<<"$list" || true)"
  [ -z "$bad" ] || fail "$name ships files it should not:"$'\n'"$bad"
  ts="$(grep -E '\.ts$' <<<"$list" | grep -vE '\.d\.ts$' || true)"
  [ -z "$ts" ] || fail "$name ships TypeScript sources:"$'\n'"$ts"
done

say "install the tarballs in an empty folder (registry for everything else)"
app="$work/app"
mkdir -p "$app"
cd "$app"
printf '{ "name": "stranger", "private": true, "type": "module" }\n' >package.json
npm install --no-audit --no-fund --loglevel=error "$work"/packs/*.tgz typescript@~5.9.3 @types/node@^20.19.0 >/dev/null
[ ! -e node_modules/tsx ] || fail "tsx was installed: some package still needs it at run time"
for p in "${packages[@]}"; do
  [ -L "node_modules/@agentos/$p" ] && fail "@agentos/$p is a link into the workspace"
  [ -f "node_modules/@agentos/$p/package.json" ] || fail "@agentos/$p is not installed"
done

say "every bin: --help and --version"
for bin in agentos-spec agentos-gen agentos-server agentos-token agentos-conformance; do
  "node_modules/.bin/$bin" --help >"$work/$bin.help" 2>&1 || fail "$bin --help failed: $(cat "$work/$bin.help")"
  grep -q . "$work/$bin.help" || fail "$bin --help printed nothing"
  v="$("node_modules/.bin/$bin" --version 2>&1)" || fail "$bin --version failed: $v"
  [ "$v" = "$version" ] || fail "$bin --version printed \"$v\", expected $version"
  echo "$bin $v"
done

say "README: agentos-spec lint (the bundled document; the default document)"
node_modules/.bin/agentos-spec lint node_modules/@agentos/spec/agentos.openapi.yaml
node_modules/.bin/agentos-spec lint >/dev/null

say "README: agentos-gen on a spec"
node_modules/.bin/agentos-gen --spec node_modules/@agentos/spec/agentos.openapi.yaml --out gen \
  --targets scopes,types,server,mocks >/dev/null
for f in routes.ts openapi.ts server.ts mocks.ts; do
  [ -f "gen/$f" ] || fail "agentos-gen wrote no gen/$f ($(ls gen | tr '\n' ' '))"
done

say "README: agentos-token (an RS256 key pair)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem 2>/dev/null
openssl pkey -in private.pem -pubout -out public.pem
token="$(node_modules/.bin/agentos-token --key private.pem --scopes agents:research-agent:read,agents:research-agent:run \
  --sub user_123 --aud my-os)"
[ "$(tr -cd . <<<"$token")" = ".." ] || fail "agentos-token printed no JWT: $token"

say "README: the server in code (createAgentOS) and an SDK call against it"
cat >example.mjs <<'EOF'
import { readFileSync } from 'node:fs';
import { createAgentOS } from '@agentos/server';
import { can, createAgentOSClient } from '@agentos/sdk';

const publicKeyPem = readFileSync('public.pem', 'utf8');
const token = process.env.TOKEN;
const os = await createAgentOS({
  id: 'my-os',
  agents: [{ id: 'research-agent', name: 'Research Agent' }],
  authorization: true,
  authorizationConfig: { verificationKeys: [publicKeyPem], algorithm: 'RS256', verifyAudience: true, userIsolation: true },
  storage: { dataDir: './.agentos/data' },
});
const server = await os.listen(0, '127.0.0.1');
try {
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  const client = createAgentOSClient({ baseUrl, getToken: async () => token });
  const { data, error } = await client.call('getAgent', { path: { agent_id: 'research-agent' } });
  if (error || data?.id !== 'research-agent') throw new Error(`getAgent: ${JSON.stringify(error ?? data)}`);
  const denied = await client.call('getAgent', { path: { agent_id: 'other-agent' } });
  if (denied.error?.status !== 403) throw new Error(`getAgent(other-agent): expected 403, got ${JSON.stringify(denied.error ?? denied.data)}`);
  if (!can(['agents:research-agent:run'], 'createAgentRun', { agent_id: 'research-agent' }).allowed)
    throw new Error('can() refused a granted scope');
  if (can(['agents:research-agent:read'], 'createAgentRun', { agent_id: 'research-agent' }).allowed)
    throw new Error('can() allowed a missing scope');
  console.log(`getAgent → ${data.id}; without the scope → ${denied.error.status} (${denied.error.requiredScopes?.join(' ')})`);
} finally {
  await os.close();
}
EOF
TOKEN="$token" LOG_LEVEL=warn node example.mjs

say "README: agentos-server (CLI) and agentos-conformance against it (short --only selection)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
AGENTOS_ID=my-os AUTHORIZATION_ENABLED=true JWT_VERIFICATION_KEY="$(cat public.pem)" JWT_VERIFY_AUDIENCE=true \
  AGENTOS_USER_ISOLATION=true AGENTOS_DATA_DIR=:memory: AGENTOS_SCHEDULER=false LOG_LEVEL=warn \
  node_modules/.bin/agentos-server --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || fail "agentos-server exited: $(tail -20 "$work/server.log")"
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || fail "agentos-server never answered /health"
node_modules/.bin/agentos-conformance --base-url "http://127.0.0.1:$port" --alg RS256 --signing-key private.pem \
  --audience my-os --user-isolation --only 'TOK-MISSING,TOK-ALG-NONE,TOK-EXPIRED,TOK-AUD,SCOPE-EXACT,SCOPE-OTHER-ID,PATH-DOT-SEGMENTS' \
  --report junit:junit.xml
grep -q '<testsuite' junit.xml || fail "agentos-conformance wrote no JUnit report"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

say "a TypeScript consumer type-checks with moduleResolution node16 and bundler"
cat >consumer.ts <<'EOF'
import { compileRoutes } from '@agentos/core';
import { specPath } from '@agentos/spec';
import { generate } from '@agentos/generator';
import { type AgentOS, type CreateAgentOSOptions, createAgentOS } from '@agentos/server';
import { can, createAgentOSClient } from '@agentos/sdk';
import { runSuite, DEFAULT_SPEC } from '@agentos/conformance';

const options: CreateAgentOSOptions = { id: 'my-os', agents: [{ id: 'research-agent', name: 'Research Agent' }] };
export const make: () => Promise<AgentOS> = () => createAgentOS(options);
const client = createAgentOSClient({ baseUrl: 'http://127.0.0.1:7777', token: 't' });
export async function call(): Promise<string | undefined> {
  const { data } = await client.call('getAgent', { path: { agent_id: 'research-agent' } });
  return data?.id;
}
export const allowed: boolean = can(['agents:read'], 'listAgents').allowed;
export const paths: string[] = [specPath, DEFAULT_SPEC];
export const fns = [compileRoutes, generate, runSuite];
// @ts-expect-error: getAgent needs its path parameter
client.call('getAgent', {});
EOF
# node16 also checks every declaration file (ours and the dependencies' we expose): skipLibCheck false.
for mode in "node16 node16 false" "esnext bundler true"; do
  set -- $mode
  cat >"tsconfig.$2.json" <<EOF
{ "compilerOptions": { "module": "$1", "moduleResolution": "$2", "target": "es2022", "strict": true,
  "noEmit": true, "skipLibCheck": $3, "types": ["node"] }, "files": ["consumer.ts"] }
EOF
  node_modules/.bin/tsc -p "tsconfig.$2.json" || fail "the consumer does not type-check with moduleResolution $2"
  echo "moduleResolution $2: ok"
done

say "done: the installed packages work"
