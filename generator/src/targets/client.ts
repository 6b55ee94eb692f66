/**
 * @module Target `client`: the route table in the compact text form a browser client ships
 * (`route-table.ts`, decoded at load by `@agentos/sdk`, sdk/src/_routes.ts): the fields a client
 * reads (operationId, method, path, scopes, list filter, public, request body encoding), at about a
 * quarter of the gzipped size of the object literals. Object-level fields (`contains`, `target`, …)
 * and `anyOf` are left out: a client decides nothing with them.
 *
 * One row per operation, sorted by path then method, fields separated by one space:
 *
 *     <n><rest of path> <method>[+|*] [<id>] [<scope>…]
 *
 * - `<n>`: how many `/`-segments of the previous row's path this one starts with (0–9); a segment
 *   `{` is the parameter `{<previous segment, singular, - as _>_id}` (`agents/{` = `agents/{agent_id}`).
 * - `<method>`: G P U A D H O T (GET POST PUT PATCH DELETE HEAD OPTIONS TRACE); `+` a form body
 *   (`application/x-www-form-urlencoded` accepted), `*` a multipart-only body.
 * - `<id>`: empty for the predicted operationId, a lower-case verb for that verb with the predicted
 *   noun, else the operationId itself (after a `!` when it has no capital). The prediction: the
 *   verb of the method (`get` for a GET ending in a parameter, else `list`; `create`, `put`, `update`,
 *   `delete`, `head`, `options`, `trace`), then each literal segment camel-cased and singular (the
 *   last one kept plural after `list`), without a last segment equal to the verb.
 * - `<scope>`: none for the scopes of the previous row with the same method letter, `-` for none
 *   (public), `~x` for `<first segment>:<first parameter>:x`, `:x` for `<first segment>:x`, `=` for
 *   the filter `{resource: <first segment>, action: read, id: id}` and `=r:a:i` for another one.
 */
import type { HttpMethod } from '@agentos/core';
import { type GeneratorContext, tsHeader } from '../context.js';
import { GenerationError } from '../errors.js';
import { compareStrings } from '../lib/sort.js';
import type { OperationModel } from '../model.js';
import { defineTarget } from './target.js';

/** The method of each letter of the table (written into the module, which the decoder reads). */
const METHODS: Readonly<Record<string, HttpMethod>> = {
  G: 'GET',
  P: 'POST',
  U: 'PUT',
  A: 'PATCH',
  D: 'DELETE',
  H: 'HEAD',
  O: 'OPTIONS',
  T: 'TRACE',
};
const LETTER = Object.fromEntries(Object.entries(METHODS).map(([l, m]) => [m, l])) as Record<
  HttpMethod,
  string
>;
/** The predicted verb of each method letter but G (`get`, or `list` for a path not ending in a parameter). */
const VERB: Readonly<Record<string, string>> = {
  P: 'create',
  U: 'put',
  A: 'update',
  D: 'delete',
  H: 'head',
  O: 'options',
  T: 'trace',
};

// The prediction; sdk/src/_routes.ts decodes with the same rules, and sdk/test/package.test.ts
// checks that its decoded table equals routes.ts.
const singular = (w: string) => w.replace(/ies$/, 'y').replace(/s$/, '');
const camel = (w: string) => w.replace(/(?:^|[^a-z\d])([a-z])/gi, (_, c: string) => c.toUpperCase());
const paramAfter = (segment: string) => `{${singular(segment).replace(/-/g, '_')}_id}`;

function predictedId(segments: readonly string[], letter: string, verb: string | undefined): string {
  const last = segments[segments.length - 1] ?? '';
  const v = verb ?? (letter === 'G' ? (last[0] === '{' || !last ? 'get' : 'list') : (VERB[letter] ?? ''));
  const literals = segments.filter((s) => s && s[0] !== '{');
  if (camel(literals[literals.length - 1] ?? '').toLowerCase() === v) literals.pop();
  return (
    v + literals.map((w, i) => camel(v === 'list' && i === literals.length - 1 ? w : singular(w))).join('')
  );
}

function encodingOf(op: OperationModel): 'json' | 'form' | 'multipart' {
  const types = op.requestBody?.content.map((m) => m.mediaType) ?? [];
  if (types.includes('application/x-www-form-urlencoded')) return 'form';
  return types.includes('multipart/form-data') ? 'multipart' : 'json';
}

const SAFE = /^[^\s`\\$]+$/;

function fail(file: string, op: OperationModel, what: string): never {
  throw new GenerationError('ERR_GEN_TARGET', {
    file,
    message: `${op.method} ${op.path} (${op.operationId}): ${what} cannot be written in the client route table`,
  });
}

/** The rows of the compact table (see the module comment). */
export function encodeRouteTable(ops: readonly OperationModel[], file = 'spec'): string[] {
  const sorted = [...ops].sort(
    (a, b) => compareStrings(a.path, b.path) || compareStrings(a.method, b.method),
  );
  let previous: string[] = [];
  const lastScopes = new Map<string, string>();
  return sorted.map((op) => {
    const segments = op.path.split('/');
    for (const s of [...segments.filter(Boolean), op.operationId, ...op.scopes]) {
      if (!SAFE.test(s)) fail(file, op, JSON.stringify(s));
    }
    let shared = 0;
    while (shared < Math.min(segments.length, previous.length, 9) && segments[shared] === previous[shared])
      shared++;
    previous = segments;
    const shown = segments.map((s, i) => (i > 1 && s === paramAfter(segments[i - 1]!) ? '{' : s));
    const letter = LETTER[op.method];
    const encoding = encodingOf(op);
    const method = letter + (encoding === 'form' ? '+' : encoding === 'multipart' ? '*' : '');

    const verb = /^[a-z]+/.exec(op.operationId)?.[0];
    const id =
      predictedId(segments, letter, undefined) === op.operationId
        ? ''
        : verb && predictedId(segments, letter, verb) === op.operationId
          ? verb
          : /[A-Z]/.test(op.operationId)
            ? op.operationId
            : `!${op.operationId}`;

    const first = segments[1] ?? '';
    const family = `${first}:${segments.find((s) => s[0] === '{')}:`;
    const tokens = op.scopes.map((s) => {
      const t = s.startsWith(family)
        ? `~${s.slice(family.length)}`
        : s.startsWith(`${first}:`) && s.split(':').length === 2
          ? s.slice(first.length)
          : s;
      if (t === s && /^[~:=-]/.test(s)) fail(file, op, `the scope ${JSON.stringify(s)}`);
      return t;
    });
    if (op.filter) {
      const f = op.filter;
      if ([f.resource, f.action, f.id].some((x) => x.includes(':'))) fail(file, op, 'the filter');
      tokens.push(
        f.resource === first && f.action === 'read' && f.id === 'id'
          ? '='
          : `=${f.resource}:${f.action}:${f.id}`,
      );
    }
    let scopes = tokens.join(' ') || '-';
    if (lastScopes.get(letter) === scopes) scopes = '';
    else lastScopes.set(letter, scopes);
    return [shared + shown.slice(shared).join('/'), method, id, scopes].join(' ').trimEnd();
  });
}

function routeTableModule(ctx: GeneratorContext): string {
  const rows = encodeRouteTable(ctx.model.operations, ctx.file);
  return `${tsHeader(ctx)}/**
 * @module Route table of ${ctx.info.spec} in the compact text form \`@agentos/sdk\` decodes at load
 * (one row per operation: path, method and body encoding, operationId, scopes and list filter;
 * the format is described in generator/src/targets/client.ts).
 */

/** The method of each method letter. */
export const routeMethods = ${JSON.stringify(METHODS)} as const;

/** The verb a predicted operationId starts with, per method letter (G: \`get\`, or \`list\` for a collection). */
export const routeVerbs: Readonly<Record<string, string>> = ${JSON.stringify(VERB)};

/** ${rows.length} operations, one per line. */
export const routeTable: string = \`${rows.join('\n')}\`;
`;
}

export const clientTarget = defineTarget({
  name: 'client',
  generate(ctx) {
    return [{ path: 'route-table.ts', contents: routeTableModule(ctx) }];
  },
});
