/**
 * @module Security Requirement Object (OpenAPI 3.1 §4.8.30, 3.0 §4.7.30) → the scope sets a bearer
 * token must carry, for documents that do not write `x-required-scopes` (any standard OpenAPI API).
 *
 * The effective list is the operation's `security`, else the root `security` (§4.8.10.1: `[]` on
 * the operation removes it). The objects of the list are alternatives (OR); the schemes inside one
 * object are all required (AND), so one set is the union of their scopes. An empty object `{}`
 * makes the operation public. Alternatives that hold no token scheme (only `apiKey`, `http` other
 * than bearer, `mutualTLS`) cannot be met by a bearer token and are left out of the table.
 */
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

/** What the route table says about an operation read from its `security`. */
export interface DerivedScopes {
  /** The first alternative (what a consumer reading only `scopes` enforces: never looser). */
  readonly scopes: string[];
  /** Every alternative a bearer token can meet, each sorted; `undefined` when public. */
  readonly anyOf: string[][] | undefined;
  readonly public: boolean;
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function carriesToken(scheme: JsonObject): boolean {
  if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') return true;
  return (
    scheme.type === 'http' && typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'bearer'
  );
}

/**
 * Derives the scope sets of one operation from its effective `security`.
 * @param at JSON Pointer of the Operation Object
 * @throws {GenerationError} `ERR_GEN_SECURITY` for a malformed list, an undeclared scheme or a scope
 *   that is not an RFC 6749 scope-token
 */
export function transformSecurityRequirement(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
): DerivedScopes {
  const own = operation.security !== undefined;
  const list = own ? operation.security : ctx.document.security;
  const base = own ? `${at}/security` : '/security';
  const fail: (pointer: string, message: string) => never = (pointer, message) => {
    throw new GenerationError('ERR_GEN_SECURITY', { file: ctx.file, pointer, message });
  };
  // The caller only asks when some `security` applies; absent here means the root one was removed.
  if (list === undefined) return { scopes: [], anyOf: undefined, public: true };
  if (!Array.isArray(list)) return fail(base, `"security" must be a list of Security Requirement Objects`);
  const components = isObject(ctx.document.components) ? ctx.document.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};

  const sets: string[][] = [];
  let anonymous = list.length === 0;
  for (const [i, requirement] of list.entries()) {
    if (!isObject(requirement)) fail(`${base}/${i}`, 'a Security Requirement must be an object');
    if (Object.keys(requirement).length === 0) anonymous = true;
    let token = false;
    const set = new Set<string>();
    for (const [name, scopes] of Object.entries(requirement)) {
      const here = `${base}/${i}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (!(name in schemes)) {
        fail(
          here,
          `names the security scheme "${name}", which components.securitySchemes does not declare (declared: ${
            Object.keys(schemes)
              .map((s) => `"${s}"`)
              .join(', ') || 'none'
          })`,
        );
      }
      const scheme = resolveReference(ctx, schemes[name], `/components/securitySchemes/${name}`).value;
      if (isObject(scheme) && carriesToken(scheme)) token = true;
      if (!Array.isArray(scopes)) fail(here, `the scopes of "${name}" must be a list of strings`);
      for (const [k, scope] of (scopes as unknown[]).entries()) {
        if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
          fail(
            `${here}/${k}`,
            `${JSON.stringify(scope)} is not a scope (RFC 6749 §3.3: printable ASCII, no space, quote or backslash)`,
          );
        }
        set.add(scope as string);
      }
    }
    if (token) sets.push([...set].sort());
  }
  if (anonymous) return { scopes: [], anyOf: undefined, public: true };
  const unique = [...new Map(sets.map((s) => [JSON.stringify(s), s])).values()];
  return { scopes: [...(unique[0] ?? [])], anyOf: unique, public: false };
}
