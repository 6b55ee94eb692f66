/**
 * Target `client`: the compact route table decodes, with the SDK's own decoder, to the fields of
 * the generated `routes.json` for every fixture document (the AgentOS spec is checked by
 * sdk/test/package.test.ts), and what cannot be written in it is refused with a clear error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _decodeRoutes } from '../../sdk/src/_routes.js';
import { GenerationError } from '../src/index.js';
import { encodeRouteTable } from '../src/targets/client.js';
import { FIXTURES, generateFixture } from './helpers.js';

const tableOf = (text: string) => {
  const m = /export const routeTable: string = `([^`]*)`;/.exec(text);
  assert.ok(m, 'route-table.ts exports routeTable');
  return m[1]!;
};

describe('client target', () => {
  for (const name of FIXTURES) {
    it(`${name}: the table decodes to routes.json`, async () => {
      const files = await generateFixture(name);
      const decoded = _decodeRoutes(tableOf(files.get('route-table.ts')!));
      const { routes } = JSON.parse(files.get('routes.json')!) as {
        routes: {
          operationId: string;
          method: string;
          path: string;
          scopes: string[];
          filter?: object;
          public: boolean;
        }[];
      };
      const byId = (a: { operationId: string }, b: { operationId: string }) =>
        a.operationId < b.operationId ? -1 : 1;
      assert.deepEqual(
        decoded.map(({ encoding: _, ...r }) => ({ ...r, scopes: [...r.scopes] })).sort(byId),
        routes
          .map((r) => ({
            operationId: r.operationId,
            method: r.method,
            path: r.path,
            scopes: r.scopes,
            ...(r.filter && { filter: r.filter }),
            public: r.public,
          }))
          .sort(byId),
      );
    });
  }

  it('refuses an operationId, path or scope the text form cannot hold', () => {
    const op = {
      operationId: 'getThing',
      method: 'GET',
      path: '/things/{thing_id}',
      scopes: ['things:read'],
      filter: undefined,
      public: false,
    };
    for (const bad of [
      { operationId: 'get thing' },
      { path: '/things/{id}/`x`' },
      { scopes: ['~things:read'] },
      { scopes: ['things:${x}'] },
    ]) {
      assert.throws(
        () => encodeRouteTable([{ ...op, ...bad } as never], 'spec.yaml'),
        (e: unknown) =>
          e instanceof GenerationError &&
          e.code === 'ERR_GEN_TARGET' &&
          /cannot be written in the client route table/.test(e.message),
        JSON.stringify(bad),
      );
    }
  });
});
