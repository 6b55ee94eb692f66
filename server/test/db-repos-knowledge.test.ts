import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { knowledge } from '../src/db/repos/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

for (const backend of testBackends()) {
  describe(`repositories: knowledge (${backend})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.close());

    test('knowledge: contents CRUD, documents, full-text search ranks the right document first', async () => {
      const db = t.db;
      const c1 = await knowledge.createContent(db, {
        id: 'cnt-1',
        knowledge_id: 'kb-main',
        name: 'handbook.pdf',
        type: 'application/pdf',
        size: 251261,
        metadata: { dept: 'hr' },
      });
      assert.equal(c1.status, 'processing');
      assert.equal(c1.size, 251261);
      await knowledge.addDocuments(db, 'cnt-1', [
        {
          content:
            'Employees accrue 25 days of paid leave per year. Unused leave carries over; parental leave is separate.',
          meta_data: { page: 12 },
        },
        {
          content: 'The office is closed on public holidays. Parking is free for employees.',
          meta_data: { page: 3 },
        },
        { content: 'Expense reports are due at the end of each month.', meta_data: { page: 20 } },
      ]);
      await knowledge.createContent(db, { id: 'cnt-2', knowledge_id: 'kb-other', name: 'notes.txt' });
      await knowledge.addDocuments(db, 'cnt-2', [
        { id: 'doc-other', content: 'Leave the building by the north exit in case of fire.' },
      ]);
      assert.equal((await knowledge.setStatus(db, 'cnt-1', 'completed'))?.status, 'completed');

      const hits = await knowledge.search(db, { query: 'paid leave days', knowledgeId: 'kb-main' });
      assert.equal(hits.total, 1);
      assert.match(hits.rows[0]!.content, /25 days of paid leave/);
      assert.equal(hits.rows[0]!.content_id, 'cnt-1');
      assert.equal(typeof hits.rows[0]!.rank, 'number');

      // Across knowledge bases: both documents mention leave; the one about leave ranks first.
      const both = await knowledge.search(db, { query: 'leaving' }); // stemmed to 'leav'
      assert.equal(both.total, 2);
      assert.match(both.rows[0]!.content, /paid leave/);
      assert.ok(both.rows[0]!.rank > both.rows[1]!.rank);
      const ranked = await knowledge.search(db, { query: 'employees' });
      assert.equal(ranked.total, 2);
      // websearch syntax: a quoted phrase and an exclusion.
      assert.equal((await knowledge.search(db, { query: '"public holidays"' })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'employees -parking' })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'employees', filters: { page: 3 } })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'the' })).total, 0); // stop words only
      assert.equal((await knowledge.search(db, { query: 'employees', limit: 1, page: 2 })).rows.length, 1);

      await knowledge.incrementAccessCount(db, ['cnt-1', 'cnt-1']);
      assert.equal((await knowledge.getContent(db, 'cnt-1'))?.access_count, 1);
      const listed = await knowledge.listContents(db, { knowledgeId: 'kb-main' });
      assert.equal(listed.total, 1);
      assert.equal(
        (await knowledge.listContents(db, { sortBy: 'name', sortOrder: 'asc' })).rows[0]?.id,
        'cnt-1',
      );
      const upd = await knowledge.updateContent(db, 'cnt-1', {
        description: 'HR handbook',
        metadata: { v: 2 },
      });
      assert.equal(upd?.description, 'HR handbook');
      assert.equal(await knowledge.getContent(db, 'cnt-1', { knowledgeId: 'kb-other' }), undefined);

      const replaced = await knowledge.replaceDocuments(db, 'cnt-1', [
        { content: 'Remote work is allowed.' },
      ]);
      assert.equal(replaced.length, 1);
      assert.equal((await knowledge.listDocuments(db, 'cnt-1')).length, 1);
      assert.equal((await knowledge.search(db, { query: 'remote work' })).rows[0]?.content_id, 'cnt-1');

      assert.equal((await knowledge.deleteContent(db, 'cnt-1'))?.id, 'cnt-1');
      assert.deepEqual(await knowledge.listDocuments(db, 'cnt-1'), []);
      assert.equal(await knowledge.deleteAllContents(db, { knowledgeId: 'kb-other' }), 1);
    });
  });
}
