/** Response filtering (contract.md §3 filterable lists; `x-nested-filters`), generic over the id field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileGrants,
  filterList,
  filterNested,
  filterResponse,
  isAccessible,
  type NestedFilter,
} from '../src/index.js';

describe('filterList', () => {
  const items = [{ id: 'a1' }, { id: 'a2' }, { agent_id: 'a3' }, 'a1', { id: 7 }];
  const cases: [
    string,
    { body: unknown; field: string; ids: Parameters<typeof filterList>[2]; want: unknown },
  ][] = [
    ['every id', { body: items, field: 'id', ids: '*', want: items }],
    ['a set of ids', { body: items, field: 'id', ids: new Set(['a1']), want: [{ id: 'a1' }] }],
    [
      'all but some',
      { body: items, field: 'id', ids: { except: new Set(['a1']) }, want: [{ id: 'a2' }, { id: 7 }] },
    ],
    [
      'the item id field of x-scope-filter',
      { body: items, field: 'agent_id', ids: new Set(['a3']), want: [{ agent_id: 'a3' }] },
    ],
    [
      'a paginated { data, meta } answer',
      {
        body: { data: items, meta: { page: 1 } },
        field: 'id',
        ids: new Set(['a2']),
        want: { data: [{ id: 'a2' }], meta: { page: 1 } },
      },
    ],
    [
      'an answer that is no list is kept',
      { body: { id: 'a9' }, field: 'id', ids: new Set(), want: { id: 'a9' } },
    ],
    ['an empty set keeps nothing', { body: items, field: 'id', ids: new Set(), want: [] }],
  ];
  for (const [name, c] of cases)
    test(name, () => assert.deepEqual(filterList(c.body, c.field, c.ids), c.want));
  test('numbers compare as their string', () => assert.equal(isAccessible(new Set(['7']), 7), true));
  test('objects are never an id', () => assert.equal(isAccessible({ except: new Set() }, { id: 1 }), false));
});

describe('filterNested (x-nested-filters)', () => {
  const members: NestedFilter = { at: '/members', resource: 'agents', action: 'read', id: 'id' };
  const grants = compileGrants(['agents:a1:read', 'teams:read']);
  test('an array in one object', () =>
    assert.deepEqual(filterNested({ id: 't1', members: [{ id: 'a1' }, { id: 'a2' }] }, [members], grants), {
      id: 't1',
      members: [{ id: 'a1' }],
    }));
  test('the same pointer across a list of objects', () =>
    assert.deepEqual(
      filterNested([{ members: [{ id: 'a2' }] }, { members: [{ id: 'a1' }, 'a1', 'a2'] }], [members], grants),
      [{ members: [] }, { members: [{ id: 'a1' }, 'a1'] }],
    ));
  test('a global scope keeps everything', () => {
    const body = { members: [{ id: 'a2' }] };
    assert.deepEqual(filterNested(body, [members], compileGrants(['agents:read'])), body);
  });
  test('an absent pointer changes nothing', () =>
    assert.deepEqual(filterNested({ id: 'x' }, [members], grants), { id: 'x' }));
  test('filterResponse applies the list filter, then the nested ones', () =>
    assert.deepEqual(
      filterResponse(
        [
          { id: 't1', members: [{ id: 'a1' }, { id: 'a2' }] },
          { id: 't2', members: [] },
        ],
        { filter: { resource: 'teams', action: 'read', id: 'id' }, nestedFilters: [members] },
        new Set(['t1']),
        grants,
      ),
      [{ id: 't1', members: [{ id: 'a1' }] }],
    ));
});
