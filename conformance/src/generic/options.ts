/**
 * @module generic/options — the options of `--profile generic`: how the token carries its scopes,
 * what an error body must look like, fixture values for path parameters.
 */
import { HarnessError } from '../errors.js';

/** `array`: `"scopes": ["a", "b"]`; `string`: `"scope": "a b"` (RFC 8693 §4.2, RFC 9068 §2.2.3). */
export type ScopeFormat = 'array' | 'string';

/**
 * What 401/403 bodies must be: `any` (not checked), `problem` (RFC 9457 `application/problem+json`
 * with `status` and `title`), or `fields:a,b` (a JSON object with these members; `fields:detail` is
 * the AgentOS/FastAPI shape).
 */
export type ErrorBody = { kind: 'any' } | { kind: 'problem' } | { kind: 'fields'; fields: string[] };

export interface GenericOptions {
  scopeFormat: ScopeFormat;
  errorBody: ErrorBody;
  /** Path or query parameter name → value, over the spec's examples. */
  fixtures: Record<string, string>;
}

/**
 * Reads the generic options from their flag values.
 * @throws {HarnessError} `ERR_OPTIONS` naming the flag and the values it takes
 */
export function parseGenericOptions(flags: {
  scopeFormat?: unknown;
  errorBody?: unknown;
  fixture?: unknown;
}): GenericOptions {
  const scopeFormat = String(flags.scopeFormat ?? 'array');
  if (scopeFormat !== 'array' && scopeFormat !== 'string')
    throw new HarnessError('ERR_OPTIONS', `--scope-format must be "array" or "string", not "${scopeFormat}"`);
  const eb = String(flags.errorBody ?? 'any');
  let errorBody: ErrorBody;
  if (eb === 'any') errorBody = { kind: 'any' };
  else if (eb === 'problem') errorBody = { kind: 'problem' };
  else if (eb === 'detail') errorBody = { kind: 'fields', fields: ['detail'] };
  else if (/^fields:[^,]+(,[^,]+)*$/.test(eb)) errorBody = { kind: 'fields', fields: eb.slice(7).split(',') };
  else
    throw new HarnessError(
      'ERR_OPTIONS',
      `--error-body must be any, problem, detail or fields:NAME[,NAME…] (e.g. fields:code,message), not "${eb}"`,
    );
  const fixtures: Record<string, string> = {};
  const raw = flags.fixture === undefined || flags.fixture === '' ? [] : String(flags.fixture).split(',');
  for (const pair of raw) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new HarnessError('ERR_OPTIONS', `--fixture "${pair}": write NAME=VALUE, e.g. --fixture petId=1`);
    fixtures[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { scopeFormat, errorBody, fixtures };
}
