import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knowledge } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const LEAVE = 'Employees accrue 25 days of paid leave per year. Unused leave carries over to the next year.';
const OFFICE = 'The office is closed on public holidays. Parking is free for employees.';
const EXPENSES = 'Expense reports are due at the end of each month.';

describeEachBackend('repositories: knowledge', (t) => {
  test('saveContent stores the item and its chunks; saving the same id replaces both', async () => {
    const db = t.db;
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    const row = await knowledge.saveContent(
      db,
      {
        id: 'save-1',
        knowledge_id: 'kb-save',
        name: 'handbook.txt',
        type: 'text/plain',
        size: 251261,
        metadata: { dept: 'hr' },
        status: 'completed',
        status_message: '',
        source: { file_name: 'handbook.txt' },
        created_at: createdAt,
      },
      [LEAVE, OFFICE],
    );
    assert.equal(row.status, 'completed');
    assert.equal(row.size, 251261);
    assert.deepEqual(row.created_at, createdAt);
    assert.deepEqual(row.updated_at, createdAt);
    const docs = await knowledge.listDocuments(db, 'save-1');
    assert.deepEqual(
      docs.map((d) => [d.id, d.chunk_index, d.name, d.knowledge_id, d.size, d.meta_data]),
      [
        [
          'save-1-0',
          0,
          'handbook.txt',
          'kb-save',
          LEAVE.length,
          { dept: 'hr', chunk: 1, chunk_size: LEAVE.length },
        ],
        [
          'save-1-1',
          1,
          'handbook.txt',
          'kb-save',
          OFFICE.length,
          { dept: 'hr', chunk: 2, chunk_size: OFFICE.length },
        ],
      ],
    );
    assert.ok(docs.every((d) => d.created_at.getTime() === createdAt.getTime()));

    const replaced = await knowledge.saveContent(
      db,
      {
        id: 'save-1',
        knowledge_id: 'kb-save',
        name: 'scan.pdf',
        status: 'failed',
        status_message: 'no text',
      },
      [],
    );
    assert.equal(replaced.name, 'scan.pdf');
    assert.equal(replaced.metadata, null);
    assert.deepEqual(await knowledge.listDocuments(db, 'save-1'), [], 'the old chunks are gone');
    const fresh = await knowledge.saveContent(db, { knowledge_id: 'kb-save' });
    assert.equal(fresh.status, 'processing', 'the default status');
    assert.match(fresh.id, /^[0-9a-f-]{36}$/);
    assert.equal(await knowledge.deleteAllContents(db, { knowledgeId: 'kb-save' }), 2);
  });

  test('getContent, listContents (filter, sort with id tie-break, paging), metadata keys', async () => {
    const db = t.db;
    const at = new Date('2026-02-01T00:00:00.000Z');
    for (const [id, type] of [
      ['list-b', 'text/markdown'],
      ['list-a', 'text/plain'],
      ['list-c', 'application/json'],
    ] as const)
      await knowledge.saveContent(db, {
        id,
        knowledge_id: 'kb-list',
        name: id,
        type,
        metadata: { [`key-${id}`]: 1, shared: true },
        created_at: at,
      });
    await knowledge.saveContent(db, {
      id: 'list-other',
      knowledge_id: 'kb-list-other',
      metadata: { x: 1 },
    });

    assert.equal((await knowledge.getContent(db, 'list-a', { knowledgeId: 'kb-list' }))?.id, 'list-a');
    assert.equal(await knowledge.getContent(db, 'list-a', { knowledgeId: 'kb-list-other' }), undefined);
    assert.equal((await knowledge.getContent(db, 'list-other'))?.knowledge_id, 'kb-list-other');

    const ids = async (opts: knowledge.ListContentsOptions) =>
      (await knowledge.listContents(db, { knowledgeId: 'kb-list', ...opts })).rows.map((r) => r.id);
    assert.deepEqual(await ids({ sortBy: 'type', sortOrder: 'asc' }), ['list-c', 'list-b', 'list-a']);
    // Equal created_at: ties follow the id in the requested order.
    assert.deepEqual(await ids({}), ['list-c', 'list-b', 'list-a']);
    assert.deepEqual(await ids({ sortOrder: 'asc' }), ['list-a', 'list-b', 'list-c']);
    assert.deepEqual(await ids({ sortBy: 'no_such_column', sortOrder: 'asc' }), [
      'list-a',
      'list-b',
      'list-c',
    ]);
    const page = await knowledge.listContents(db, { knowledgeId: 'kb-list', limit: 2, page: 2 });
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.rows.map((r) => r.id),
      ['list-a'],
    );

    assert.deepEqual(await knowledge.listMetadataKeys(db, { knowledgeId: 'kb-list' }), [
      'key-list-a',
      'key-list-b',
      'key-list-c',
      'shared',
    ]);
    assert.deepEqual(await knowledge.listMetadataKeys(db, { knowledgeId: 'kb-none' }), []);
    assert.ok((await knowledge.listMetadataKeys(db)).includes('x'));

    await knowledge.incrementAccessCount(db, ['list-a', 'list-a', 'list-b']);
    assert.equal((await knowledge.getContent(db, 'list-a'))?.access_count, 1, 'once per item');
    assert.equal((await knowledge.getContent(db, 'list-b'))?.access_count, 1);
    assert.equal(await knowledge.deleteAllContents(db, { knowledgeId: 'kb-list' }), 3);
    assert.equal(await knowledge.deleteAllContents(db, { knowledgeId: 'kb-list-other' }), 1);
  });

  test('updateContent carries name and metadata to the documents; deleteContent removes them', async () => {
    const db = t.db;
    await knowledge.saveContent(
      db,
      { id: 'upd-1', knowledge_id: 'kb-upd', name: 'v1', metadata: { edition: '2025' } },
      [LEAVE, EXPENSES],
    );
    const updatedAt = new Date('2026-03-04T05:06:07.000Z');
    assert.equal(
      await knowledge.updateContent(db, 'upd-1', { name: 'x' }, { knowledgeId: 'kb-other' }),
      undefined,
      'not in that knowledge base',
    );
    const upd = await knowledge.updateContent(
      db,
      'upd-1',
      { name: 'v2', description: 'HR', metadata: { edition: '2026' }, updated_at: updatedAt },
      { knowledgeId: 'kb-upd' },
    );
    assert.equal(upd?.name, 'v2');
    assert.equal(upd?.description, 'HR');
    assert.deepEqual(upd?.metadata, { edition: '2026' });
    assert.deepEqual(upd?.updated_at, updatedAt);
    assert.deepEqual(
      (await knowledge.listDocuments(db, 'upd-1')).map((d) => [d.name, d.meta_data]),
      [
        ['v2', { edition: '2026', chunk: 1, chunk_size: LEAVE.length }],
        ['v2', { edition: '2026', chunk: 2, chunk_size: EXPENSES.length }],
      ],
    );
    // A patch without name or metadata leaves the documents alone.
    await knowledge.updateContent(db, 'upd-1', { description: 'HR policy' });
    assert.equal((await knowledge.listDocuments(db, 'upd-1'))[0]?.name, 'v2');
    assert.equal(await knowledge.updateContent(db, 'nope', { name: 'x' }), undefined);

    assert.equal(await knowledge.deleteContent(db, 'upd-1', { knowledgeId: 'kb-other' }), undefined);
    assert.equal((await knowledge.deleteContent(db, 'upd-1'))?.id, 'upd-1');
    assert.deepEqual(await knowledge.listDocuments(db, 'upd-1'), [], 'documents cascade');
  });

  test('search: every word or any word, ranking, filters, limit, stop words', async () => {
    const db = t.db;
    await knowledge.saveContent(
      db,
      { id: 'cnt-1', knowledge_id: 'kb-main', name: 'handbook', source: { file_name: 'handbook.txt' } },
      [LEAVE, OFFICE, EXPENSES],
    );
    await knowledge.saveContent(db, { id: 'cnt-2', knowledge_id: 'kb-main', name: 'notes' }, [
      'Leave the building by the north exit in case of fire.',
    ]);
    await knowledge.saveContent(db, { id: 'cnt-3', knowledge_id: 'kb-other', name: 'other' }, [
      'Paid leave for contractors is not covered here.',
    ]);
    const search = (opts: Partial<knowledge.SearchOptions> & { query: string }) =>
      knowledge.search(db, { knowledgeId: 'kb-main', limit: 100, ...opts });

    const hits = await search({ query: 'paid leave days' });
    assert.deepEqual(
      hits.map((h) => h.id),
      ['cnt-1-0'],
    );
    assert.equal(hits[0]!.content_id, 'cnt-1');
    assert.deepEqual(hits[0]!.source, { file_name: 'handbook.txt' });
    assert.ok(hits[0]!.score > 0 && hits[0]!.score < 1);
    assert.deepEqual(
      (await search({ query: 'paid leave days', knowledgeId: undefined })).map((h) => h.content_id).sort(),
      ['cnt-1'],
      'the other knowledge base has no "days"',
    );
    assert.equal((await search({ query: 'paid leave', knowledgeId: undefined })).length, 2);

    // Stemming: "leaving" matches "leave"; the document about leave ranks first.
    const leave = await search({ query: 'leaving' });
    assert.deepEqual(
      leave.map((h) => h.id),
      ['cnt-1-0', 'cnt-2-0'],
    );
    assert.ok(leave[0]!.score > leave[1]!.score);

    // Web-search syntax: a quoted phrase and an exclusion.
    assert.equal((await search({ query: '"public holidays"' })).length, 1);
    assert.deepEqual(
      (await search({ query: 'employees -parking' })).map((h) => h.id),
      ['cnt-1-0'],
    );

    // `any`: documents with any word, those with every word first.
    assert.deepEqual(await search({ query: 'expense fire' }), [], 'no document has both words');
    const any = await search({ query: 'expense fire leave', match: 'any' });
    assert.deepEqual(new Set(any.map((h) => h.id)), new Set(['cnt-1-0', 'cnt-1-2', 'cnt-2-0']));
    const both = await search({ query: 'fire leave', match: 'any' });
    assert.equal(both[0]!.id, 'cnt-2-0', 'the document with every word first');
    assert.ok(both[0]!.score >= 0.5 && both[1]!.score < 0.5);

    assert.deepEqual(
      (await search({ query: 'employees', filters: { chunk: 2 } })).map((h) => h.id),
      ['cnt-1-1'],
    );
    assert.equal((await search({ query: 'employees', filters: {} })).length, 2);
    assert.equal((await search({ query: 'employees', filters: null })).length, 2);
    assert.equal((await search({ query: 'employees', limit: 1 })).length, 1);

    // Stop words only: a case-insensitive substring match, score 0; LIKE wildcards are literal.
    const stop = await search({ query: 'THE' });
    assert.ok(stop.length >= 3);
    assert.ok(stop.every((h) => h.score === 0 && /the/i.test(h.content)));
    assert.deepEqual(await search({ query: '%' }), []);
  });
});
