/**
 * @module The browser test page (bundled with esbuild by sdk/test/browser.test.ts): calls a
 * cross-origin AgentOS with the SDK and records what the page could read, in `window.__results`.
 * The configuration comes in the URL fragment as JSON.
 */
import { can, createAgentOSClient, HttpError } from '../../src/index.js';

interface PageConfig {
  baseUrl: string;
  tokens: { a1Read: string; expired: string };
}

interface Check {
  name: string;
  ok: boolean;
  detail?: unknown;
}

declare global {
  interface Window {
    __results?: Check[];
    __done?: boolean;
  }
}

const config = JSON.parse(decodeURIComponent(location.hash.slice(1))) as PageConfig;
const results: Check[] = [];
const check = (name: string, ok: boolean, detail?: unknown) => results.push({ name, ok, detail });

async function main() {
  const { baseUrl, tokens } = config;
  const client = createAgentOSClient({ baseUrl, token: tokens.a1Read });

  const health = await client.GET('/health');
  check('public call, no token, cross-origin', health.data?.status === 'ok', health.error?.message);

  const list = await client.call('listAgents');
  check(
    'secured call with a token (preflighted)',
    JSON.stringify(list.data?.map((a) => a.id)) === '["a1"]',
    list.error?.message ?? list.data,
  );
  check('can() in the browser', can(tokens.a1Read, 'listAgents').filtered instanceof Set);

  const denied = await client.call('getAgent', { path: { agent_id: 'a2' } });
  check(
    '403 body is readable',
    denied.error?.detail === 'Insufficient permissions. Required scope(s): agents:a2:read',
    denied.error?.detail,
  );
  check(
    '403 WWW-Authenticate is readable (exposed by CORS)',
    denied.error?.challenge?.error === 'insufficient_scope',
    denied.error?.challenge,
  );
  check(
    '403 is typed',
    denied.error instanceof HttpError &&
      denied.error.code === 'ERR_SCOPE_INSUFFICIENT' &&
      denied.error.requiredScopes[0] === 'agents:a2:read',
    denied.error?.code,
  );

  const anonymous = await createAgentOSClient({ baseUrl }).GET('/agents');
  check(
    '401 body is readable',
    anonymous.error?.detail === 'Authorization header missing',
    anonymous.error?.detail,
  );
  check('401 is typed', anonymous.error?.code === 'ERR_UNAUTHENTICATED', anonymous.error?.code);

  const bad = await createAgentOSClient({ baseUrl, token: 'not-a-jwt' }).GET('/agents');
  check(
    '401 invalid_token challenge is readable',
    bad.error?.code === 'ERR_INVALID_TOKEN' && bad.error.challenge?.error === 'invalid_token',
    bad.error?.challenge,
  );

  let refreshes = 0;
  const refreshing = createAgentOSClient({
    baseUrl,
    getToken: async ({ forceRefresh }) => {
      if (forceRefresh) refreshes++;
      return forceRefresh ? tokens.a1Read : tokens.expired;
    },
  });
  const all = await Promise.all(
    [0, 1, 2].map(() => refreshing.call('getAgent', { path: { agent_id: 'a1' } })),
  );
  check(
    '401 refresh shared and retried in the browser',
    all.every((r) => r.data?.id === 'a1') && refreshes === 1,
    { refreshes },
  );

  try {
    for await (const _ of client.streamAgentRun('a1', { message: 'hi' })) break;
    check('refused stream throws', false);
  } catch (e) {
    check(
      'refused stream throws the typed 403 (form POST, cross-origin)',
      e instanceof HttpError && e.status === 403,
      String(e),
    );
  }
}

main()
  .catch((e) => check('page script', false, String(e?.stack ?? e)))
  .finally(() => {
    window.__results = results;
    window.__done = true;
  });
