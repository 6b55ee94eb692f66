/**
 * @module probes/security-key — family KEY: a target in security-key mode (the Python AgentOS's
 * `OS_SECURITY_KEY`, contract.md §1a), given with `--security-key FILE`. The key works in
 * `Authorization: Bearer <key>` and nowhere else: not missing, not wrong, not in another case, not
 * with whitespace or characters added or removed, not under another scheme, never from the query
 * string or a cookie. Timing is not probed. The key never appears in a report (`<security-key>`).
 */
import { createHttpClient, type RawRequest } from '../http.js';
import { curlFor } from '../run.js';
import type { CaseResult, HttpResponse, ProbeInfo, Severity, StepResult } from '../types.js';

export interface SecurityKeyProbeOptions {
  readonly baseUrl: string;
  readonly key: string;
  /** A protected GET path of the target (default `/agents`). */
  readonly path?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
  readonly timeoutMs?: number | undefined;
}

const REF = 'contract.md §1a (security-key mode); RFC 6750 §2';
const REDACTED = '<security-key>';

const probe = (id: string, severity: Severity, title: string, differs?: string): ProbeInfo => ({
  id,
  family: 'KEY',
  severity,
  title,
  reference: REF,
  ...(differs ? { differs } : {}),
});

interface Check {
  label: string;
  path?: string;
  headers?: Record<string, string>;
  expected: string;
  check(res: HttpResponse): string | undefined;
}

const refused = (res: HttpResponse): string | undefined =>
  res.status >= 200 && res.status < 300
    ? `answered ${res.status}: the variant was accepted as the key`
    : res.status === 0
      ? `no answer: ${res.error}`
      : undefined;
const is401 = (res: HttpResponse): string | undefined =>
  res.status === 401 ? undefined : `answered ${res.status}, expected 401`;
const detail = (res: HttpResponse): unknown => {
  try {
    return (JSON.parse(res.body) as { detail?: unknown }).detail;
  } catch {
    return undefined;
  }
};

function flipCase(key: string): string | undefined {
  const flipped = [...key].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
  return flipped === key ? undefined : flipped;
}

/**
 * Runs the KEY probes against a target in security-key mode.
 * @example const results = await securityKeyProbes({ baseUrl, key: (await readFile(file, 'utf8')).trim() });
 */
export async function securityKeyProbes(options: SecurityKeyProbeOptions): Promise<CaseResult[]> {
  const { key, baseUrl } = options;
  const path = options.path ?? '/agents';
  const client = createHttpClient(baseUrl, { timeoutMs: options.timeoutMs ?? 10_000, concurrency: 2 });
  const redact = (s: string) => s.split(key).join(REDACTED).split(encodeURIComponent(key)).join(REDACTED);
  const mid = Math.max(1, Math.floor(key.length / 2));
  const bearer = (v: string) => ({ authorization: `Bearer ${v}` });

  async function step(c: Check): Promise<StepResult> {
    const raw: RawRequest = {
      method: 'GET',
      path: c.path ?? path,
      headers: { accept: 'application/json', ...options.headers, ...c.headers },
    };
    const res = await client.send(raw);
    const failure = c.check(res);
    const url = `${client.origin}${client.basePath}${raw.path}`;
    const out: StepResult = {
      label: c.label,
      method: 'GET',
      url: redact(url),
      requestHeaders: Object.fromEntries(
        Object.entries(raw.headers).map(([k, v]) => [k.toLowerCase(), redact(v)]),
      ),
      expected: c.expected,
      status: res.status,
      responseHeaders: Object.fromEntries(
        Object.entries(res.headers)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
      bodyExcerpt: redact(res.body.slice(0, 2000)),
      elapsedMs: Math.round(res.elapsedMs),
      pass: failure === undefined,
      curl: redact(curlFor(url, raw, undefined, undefined)),
    };
    if (failure) out.message = failure;
    if (res.error) out.error = res.error;
    return out;
  }

  async function run(info: ProbeInfo, checks: Check[], skip?: string): Promise<CaseResult> {
    const base: CaseResult = {
      probeId: info.id,
      family: info.family,
      severity: info.severity,
      title: info.title,
      reference: info.reference,
      operationId: '(security key)',
      method: 'GET',
      path,
      status: 'pass',
      steps: [],
      ...(info.differs ? { differs: info.differs } : {}),
    };
    if (skip) return { ...base, status: 'skip', message: skip };
    for (const c of checks) base.steps.push(await step(c));
    const failed = base.steps.filter((s) => !s.pass);
    if (failed.length) {
      base.status = 'fail';
      base.message = failed.map((f) => `${f.label}: ${f.message}`).join('; ');
    }
    return base;
  }

  const flipped = flipCase(key);
  try {
    const valid = await run(probe('KEY-VALID', 'MUST', 'Authorization: Bearer <key> is accepted'), [
      {
        label: 'Bearer <key>',
        headers: bearer(key),
        expected: '2xx',
        check: (r) => (r.status >= 200 && r.status < 300 ? undefined : `answered ${r.status}`),
      },
      {
        label: 'bearer <key> (scheme case-insensitive)',
        headers: { authorization: `bearer ${key}` },
        expected: '2xx',
        check: (r) => (r.status >= 200 && r.status < 300 ? undefined : `answered ${r.status}`),
      },
    ]);
    const blocked =
      valid.status === 'fail'
        ? 'KEY-VALID failed: the key itself is not accepted, so refusals of its variants say nothing'
        : undefined;
    const results: CaseResult[] = [valid];
    results.push(
      await run(
        probe('KEY-MISSING', 'MUST', 'No credential: 401'),
        [{ label: 'no Authorization', expected: '401', check: is401 }],
        blocked,
      ),
      await run(
        probe('KEY-WRONG', 'MUST', 'A wrong key: 401'),
        [
          {
            label: 'Bearer <wrong>',
            headers: bearer(`wrong-${key.length}-conformance`),
            expected: '401',
            check: is401,
          },
          { label: 'Bearer <empty-ish>', headers: bearer('x'), expected: '401', check: is401 },
        ],
        blocked,
      ),
      await run(
        probe('KEY-CASE', 'MUST', 'The key with its letters in the other case is refused'),
        flipped
          ? [
              {
                label: 'Bearer <key, case flipped>',
                headers: bearer(flipped),
                expected: 'not 2xx',
                check: refused,
              },
              {
                label: 'Bearer <KEY upper>',
                headers: bearer(key.toUpperCase()),
                expected: key.toUpperCase() === key ? 'any' : 'not 2xx',
                check: (r) => (key.toUpperCase() === key ? undefined : refused(r)),
              },
            ]
          : [],
        blocked ?? (flipped ? undefined : 'the key has no letters'),
      ),
      await run(
        probe(
          'KEY-WHITESPACE',
          'MUST',
          'The key with whitespace inside or a non-ASCII space around it is refused',
        ),
        [
          {
            label: 'Bearer <key[:n]> <key[n:]>',
            headers: bearer(`${key.slice(0, mid)} ${key.slice(mid)}`),
            expected: 'not 2xx',
            check: refused,
          },
          {
            label: 'Bearer <key[:n]>\\t<key[n:]>',
            headers: bearer(`${key.slice(0, mid)}\t${key.slice(mid)}`),
            expected: 'not 2xx',
            check: refused,
          },
          { label: 'Bearer <key> x', headers: bearer(`${key} x`), expected: 'not 2xx', check: refused },
          { label: 'Bearer <key>%20', headers: bearer(`${key}%20`), expected: 'not 2xx', check: refused },
        ],
        blocked,
      ),
      await run(
        probe('KEY-AFFIX', 'MUST', 'The key with a character added or removed is refused'),
        [
          { label: 'Bearer <key>x', headers: bearer(`${key}x`), expected: 'not 2xx', check: refused },
          { label: 'Bearer x<key>', headers: bearer(`x${key}`), expected: 'not 2xx', check: refused },
          {
            label: 'Bearer <key minus last char>',
            headers: bearer(key.slice(0, -1)),
            expected: 'not 2xx',
            check: refused,
          },
          { label: 'Bearer "<key>"', headers: bearer(`"${key}"`), expected: 'not 2xx', check: refused },
        ],
        blocked,
      ),
      await run(
        probe('KEY-SCHEME', 'MUST', 'The key under another scheme is refused'),
        [
          {
            label: 'Basic base64(<key>)',
            headers: { authorization: `Basic ${Buffer.from(key).toString('base64')}` },
            expected: 'not 2xx',
            check: refused,
          },
          {
            label: 'Basic base64(user:<key>)',
            headers: { authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` },
            expected: 'not 2xx',
            check: refused,
          },
          {
            label: 'Token <key>',
            headers: { authorization: `Token ${key}` },
            expected: 'not 2xx',
            check: refused,
          },
          { label: 'X-API-Key: <key>', headers: { 'x-api-key': key }, expected: 'not 2xx', check: refused },
        ],
        blocked,
      ),
      await run(
        probe('KEY-QUERY', 'MUST', 'The key in the query string is never a credential'),
        ['access_token', 'token', 'key', 'api_key', 'security_key'].map((q) => ({
          label: `?${q}=<key>`,
          path: `${path}${path.includes('?') ? '&' : '?'}${q}=${encodeURIComponent(key)}`,
          expected: 'not 2xx',
          check: refused,
        })),
        blocked,
      ),
      await run(
        probe('KEY-COOKIE', 'MUST', 'The key in a cookie is never a credential'),
        ['access_token', 'session', 'security_key', 'token'].map((c) => ({
          label: `Cookie: ${c}=<key>`,
          headers: { cookie: `${c}=${key}` },
          expected: 'not 2xx',
          check: refused,
        })),
        blocked,
      ),
      await run(
        probe('KEY-DETAIL', 'SHOULD', "401 bodies as the Python AgentOS's"),
        [
          {
            label: 'no Authorization',
            expected: '401 {"detail":"Authorization header required"}',
            check: (r) =>
              is401(r) ??
              (detail(r) === 'Authorization header required'
                ? undefined
                : `detail ${JSON.stringify(detail(r))}`),
          },
          {
            label: 'Bearer <wrong>',
            headers: bearer(`wrong-${key.length}-conformance`),
            expected: '401 {"detail":"Invalid authentication token"}',
            check: (r) =>
              is401(r) ??
              (detail(r) === 'Invalid authentication token'
                ? undefined
                : `detail ${JSON.stringify(detail(r))}`),
          },
        ],
        blocked,
      ),
      await run(
        probe(
          'KEY-CHALLENGE',
          'SHOULD',
          '401 carries a Bearer WWW-Authenticate challenge (RFC 6750 §3)',
          'www-authenticate',
        ),
        [
          {
            label: 'no Authorization',
            expected: '401 with WWW-Authenticate: Bearer …',
            check: (r) =>
              is401(r) ??
              (/^Bearer\b/i.test(String(r.headers['www-authenticate'] ?? ''))
                ? undefined
                : 'no Bearer challenge'),
          },
          {
            label: 'Bearer <wrong>',
            headers: bearer(`wrong-${key.length}-conformance`),
            expected: '401 with WWW-Authenticate: Bearer error="invalid_token"',
            check: (r) =>
              is401(r) ??
              (/error="invalid_token"/.test(String(r.headers['www-authenticate'] ?? ''))
                ? undefined
                : 'no invalid_token challenge'),
          },
        ],
        blocked,
      ),
      await run(probe('KEY-INFO', 'SHOULD', 'GET /info reports auth_mode "security_key"'), [
        {
          label: 'GET /info',
          path: '/info',
          expected: '200 {"auth_mode":"security_key",…}',
          check: (r) => {
            if (r.status !== 200) return `answered ${r.status}`;
            try {
              const mode = (JSON.parse(r.body) as { auth_mode?: unknown }).auth_mode;
              return mode === 'security_key' ? undefined : `auth_mode ${JSON.stringify(mode)}`;
            } catch {
              return 'not JSON';
            }
          },
        },
      ]),
    );
    return results;
  } finally {
    client.close();
  }
}
