/**
 * Knowledge bases: content items (`knowledge_contents`, what the API lists) and their searchable
 * documents (`knowledge_documents`, the chunks a search answers). Search is PostgreSQL full-text
 * search: a generated `tsvector` column (content weighted A, name C) with a GIN index, queried
 * with `websearch_to_tsquery('english', …)` (quoted phrases, `or`, `-word`) and ranked by
 * `ts_rank`. Not user-owned.
 */
import { sql } from 'kysely';
import type { ContentStatus, KnowledgeContentRow, KnowledgeDocumentRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  inTransaction,
  json,
  jsonPatch,
  newId,
  order,
  type Page,
  type PageOptions,
  paging,
  sortColumn,
  toCount,
} from '../util.js';

export interface NewContent {
  id?: string;
  knowledge_id: string;
  name?: string | null;
  description?: string | null;
  type?: string | null;
  size?: number | null;
  linked_to?: string | null;
  metadata?: unknown;
  status?: ContentStatus;
  status_message?: string | null;
  source?: unknown;
}

export interface ContentPatch {
  name?: string | null;
  description?: string | null;
  type?: string | null;
  size?: number | null;
  linked_to?: string | null;
  metadata?: unknown;
  status?: ContentStatus;
  status_message?: string | null;
  source?: unknown;
}

export const CONTENT_SORT_COLUMNS = [
  'created_at',
  'updated_at',
  'name',
  'size',
  'status',
  'access_count',
] as const;

export interface ListContentsOptions extends PageOptions {
  knowledgeId?: string;
  status?: ContentStatus;
  /** One of CONTENT_SORT_COLUMNS (default `created_at`). */
  sortBy?: string;
  sortOrder?: string;
}

export async function createContent(db: Db, c: NewContent): Promise<KnowledgeContentRow> {
  return db
    .insertInto('knowledge_contents')
    .values({
      id: c.id ?? newId(),
      knowledge_id: c.knowledge_id,
      name: c.name ?? null,
      description: c.description ?? null,
      type: c.type ?? null,
      size: c.size ?? null,
      linked_to: c.linked_to ?? null,
      metadata: json(c.metadata),
      ...(c.status ? { status: c.status } : {}),
      status_message: c.status_message ?? null,
      source: json(c.source),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getContent(
  db: Db,
  id: string,
  opts: { knowledgeId?: string } = {},
): Promise<KnowledgeContentRow | undefined> {
  return db
    .selectFrom('knowledge_contents')
    .selectAll()
    .where('id', '=', id)
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .executeTakeFirst();
}

export async function listContents(
  db: Db,
  opts: ListContentsOptions = {},
): Promise<Page<KnowledgeContentRow>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('knowledge_contents')
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .$if(opts.status !== undefined, (q) => q.where('status', '=', opts.status!));
  const sortBy = sortColumn(opts.sortBy, CONTENT_SORT_COLUMNS, 'created_at');
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .orderBy(sortBy, order(opts.sortOrder))
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { rows, total: toCount(count.n) };
}

export async function updateContent(
  db: Db,
  id: string,
  patch: ContentPatch,
  opts: { knowledgeId?: string } = {},
): Promise<KnowledgeContentRow | undefined> {
  const set = defined({
    name: patch.name,
    description: patch.description,
    type: patch.type,
    size: patch.size,
    linked_to: patch.linked_to,
    metadata: jsonPatch(patch.metadata),
    status: patch.status,
    status_message: patch.status_message,
    source: jsonPatch(patch.source),
  });
  return db
    .updateTable('knowledge_contents')
    .set({ ...set, updated_at: dbNow() })
    .where('id', '=', id)
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .returningAll()
    .executeTakeFirst();
}

/** Sets the processing status (and message) of a content item. */
export async function setStatus(
  db: Db,
  id: string,
  status: ContentStatus,
  statusMessage: string | null = null,
): Promise<KnowledgeContentRow | undefined> {
  return updateContent(db, id, { status, status_message: statusMessage });
}

/** Adds 1 to `access_count` of each content item (e.g. those a search answered). */
export async function incrementAccessCount(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('knowledge_contents')
    .set((eb) => ({ access_count: eb('access_count', '+', 1) }))
    .where('id', 'in', [...new Set(ids)])
    .execute();
}

/** Deletes a content item and its documents; answers the deleted row. */
export async function deleteContent(
  db: Db,
  id: string,
  opts: { knowledgeId?: string } = {},
): Promise<KnowledgeContentRow | undefined> {
  return db
    .deleteFrom('knowledge_contents')
    .where('id', '=', id)
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .returningAll()
    .executeTakeFirst();
}

/** Deletes every content item (of one knowledge base, if given); answers the number deleted. */
export async function deleteAllContents(db: Db, opts: { knowledgeId?: string } = {}): Promise<number> {
  const r = await db
    .deleteFrom('knowledge_contents')
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

// ------------------------------------------------------------------------------------ documents

export interface NewDocument {
  id?: string;
  /** Default: the position in the list given. */
  chunk_index?: number;
  name?: string | null;
  content: string;
  meta_data?: unknown;
  /** Default: the content length in characters. */
  size?: number | null;
}

const DOCUMENT_COLUMNS = [
  'id',
  'content_id',
  'knowledge_id',
  'chunk_index',
  'name',
  'content',
  'meta_data',
  'size',
  'created_at',
] as const;

/** Adds documents (chunks) to a content item; they inherit its `knowledge_id`. */
export async function addDocuments(
  db: Db,
  contentId: string,
  docs: readonly NewDocument[],
): Promise<KnowledgeDocumentRow[]> {
  if (docs.length === 0) return [];
  const content = await db
    .selectFrom('knowledge_contents')
    .select('knowledge_id')
    .where('id', '=', contentId)
    .executeTakeFirst();
  if (!content) throw new Error(`knowledge content not found: ${contentId}`);
  return db
    .insertInto('knowledge_documents')
    .values(
      docs.map((d, i) => ({
        id: d.id ?? newId(),
        content_id: contentId,
        knowledge_id: content.knowledge_id,
        chunk_index: d.chunk_index ?? i,
        name: d.name ?? null,
        content: d.content,
        meta_data: json(d.meta_data),
        size: d.size ?? d.content.length,
      })),
    )
    .returning(DOCUMENT_COLUMNS)
    .execute();
}

/** Replaces all documents of a content item (re-processing), in one transaction. */
export async function replaceDocuments(
  db: Db,
  contentId: string,
  docs: readonly NewDocument[],
): Promise<KnowledgeDocumentRow[]> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('knowledge_documents').where('content_id', '=', contentId).execute();
    return addDocuments(trx, contentId, docs);
  });
}

export async function listDocuments(db: Db, contentId: string): Promise<KnowledgeDocumentRow[]> {
  return db
    .selectFrom('knowledge_documents')
    .select(DOCUMENT_COLUMNS)
    .where('content_id', '=', contentId)
    .orderBy('chunk_index')
    .orderBy('id')
    .execute();
}

export interface SearchOptions extends PageOptions {
  /** Web-search syntax: words, "quoted phrases", `or`, `-excluded`. */
  query: string;
  knowledgeId?: string;
  /** Only documents whose `meta_data` contains this object (jsonb `@>`). */
  filters?: Record<string, unknown>;
  /** Text-search configuration (default `english`). */
  language?: string;
}

export interface SearchHit extends KnowledgeDocumentRow {
  /** `ts_rank` of the document for the query (higher is better). */
  rank: number;
}

/** Full-text search over the documents, best match first. */
export async function search(db: Db, opts: SearchOptions): Promise<Page<SearchHit>> {
  const { limit, offset } = paging(opts);
  const config = sql`${opts.language ?? 'english'}::regconfig`;
  const tsquery = sql`websearch_to_tsquery(${config}, ${opts.query})`;
  const filters = opts.filters && Object.keys(opts.filters).length > 0 ? opts.filters : undefined;
  const base = db
    .selectFrom('knowledge_documents')
    .where(sql<boolean>`search_vector @@ ${tsquery}`)
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .$if(filters !== undefined, (q) => q.where(sql<boolean>`meta_data @> ${json(filters)}::jsonb`));
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .select([...DOCUMENT_COLUMNS, sql<number>`ts_rank(search_vector, ${tsquery})`.as('rank')])
      .orderBy('rank', 'desc')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { rows, total: toCount(count.n) };
}
