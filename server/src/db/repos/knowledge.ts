/**
 * Knowledge bases: content items (`knowledge_contents`, what the API lists) and their searchable
 * documents (`knowledge_documents`, the chunks a search answers). User-owned with shared rows
 * (contract.md §5): an item's `user_id` is its owner, or null for a workspace-level item; reads
 * take an `OwnerScope` (`visibleTo`) that limits them to the caller's items and the shared ones.
 *
 * A content item is stored with its text chunks in one step (`saveContent`): chunk `n` becomes
 * the document `<content id>-<n>`, named like the item, whose `meta_data` is the item's metadata
 * plus `chunk` (1-based) and `chunk_size` (characters). `updateContent` carries a new name or
 * metadata to the documents by the same rule. Deleting an item deletes its documents (cascade).
 *
 * Search is PostgreSQL full-text search over a generated `tsvector` column (content weighted A,
 * name C, english configuration) with a GIN index, ranked by `ts_rank_cd` (scores in [0, 1)).
 */
import { type RawBuilder, sql } from 'kysely';
import type { ContentStatus, KnowledgeContentRow, KnowledgeDocumentRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  inTransaction,
  json,
  jsonPatch,
  likeEscape,
  newId,
  type OwnerScope,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  sortColumn,
  visibleTo,
} from '../util.js';

export interface NewContent {
  /** Default: a new UUID. An existing item with this id is replaced. */
  id?: string;
  knowledge_id: string;
  name?: string | null;
  description?: string | null;
  /** MIME type. */
  type?: string | null;
  /** Size in bytes. */
  size?: number | null;
  linked_to?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Default `processing`. */
  status?: ContentStatus;
  status_message?: string | null;
  source?: unknown;
  /** The owner; null (default): a workspace-level item. */
  user_id?: string | null;
  /** Default: now() on the database server; `updated_at` starts equal to it. */
  created_at?: Date;
}

export interface ContentPatch {
  /** Also renames the item's documents. */
  name?: string | null;
  description?: string | null;
  type?: string | null;
  size?: number | null;
  linked_to?: string | null;
  /** Also rebuilds the `meta_data` of the item's documents. */
  metadata?: Record<string, unknown> | null;
  status?: ContentStatus;
  status_message?: string | null;
  source?: unknown;
  /** Default: now() on the database server. */
  updated_at?: Date;
}

export const CONTENT_SORT_COLUMNS = [
  'created_at',
  'updated_at',
  'name',
  'type',
  'size',
  'status',
  'access_count',
] as const;

/** Where a read or delete looks: one knowledge base, and the rows an owner scope sees. */
export interface ContentScope {
  knowledgeId?: string;
  /** Under isolation: the caller's items (and the shared ones when `shared`). Default: every item. */
  visibleTo?: OwnerScope | undefined;
}

export interface ListContentsOptions extends PageOptions, ContentScope {
  /** One of CONTENT_SORT_COLUMNS (default `created_at`); ties are broken by id, in the same order. */
  sortBy?: string;
  sortOrder?: string;
}

/** The `meta_data` of chunk `index` (0-based) of a content item with this metadata. */
function chunkMetadata(
  metadata: Record<string, unknown> | null | undefined,
  index: number,
  size: number,
): Record<string, unknown> {
  return { ...(metadata ?? {}), chunk: index + 1, chunk_size: size };
}

/**
 * Stores a content item and its text chunks as documents, in one transaction, replacing any item
 * with the same id (and its documents); answers the stored item.
 * @param chunks the item's text, in order (none for content that could not be read)
 */
export async function saveContent(
  db: Db,
  c: NewContent,
  chunks: readonly string[] = [],
): Promise<KnowledgeContentRow> {
  const id = c.id ?? newId();
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('knowledge_contents').where('id', '=', id).execute();
    const row = await trx
      .insertInto('knowledge_contents')
      .values({
        id,
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
        user_id: c.user_id ?? null,
        ...(c.created_at ? { created_at: c.created_at, updated_at: c.created_at } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (chunks.length > 0) {
      await trx
        .insertInto('knowledge_documents')
        .values(
          chunks.map((content, n) => ({
            id: `${id}-${n}`,
            content_id: id,
            knowledge_id: row.knowledge_id,
            chunk_index: n,
            name: row.name,
            content,
            meta_data: json(chunkMetadata(c.metadata, n, content.length)),
            size: content.length,
            created_at: row.created_at,
          })),
        )
        .execute();
    }
    return row;
  });
}

/** A content item by id (only in that knowledge base, if given). */
export async function getContent(
  db: Db,
  id: string,
  opts: ContentScope = {},
): Promise<KnowledgeContentRow | undefined> {
  return db
    .selectFrom('knowledge_contents')
    .selectAll()
    .where('id', '=', id)
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .executeTakeFirst();
}

/** A page of content items (of one knowledge base, if given) and how many there are. */
export async function listContents(
  db: Db,
  opts: ListContentsOptions = {},
): Promise<Page<KnowledgeContentRow>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('knowledge_contents')
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)));
  const sortBy = sortColumn(opts.sortBy, CONTENT_SORT_COLUMNS, 'created_at');
  const direction = order(opts.sortOrder);
  return pageOf(base, (q) => q.selectAll().orderBy(sortBy, direction).orderBy('id', direction), {
    limit,
    offset,
  });
}

/**
 * Updates a content item (only in that knowledge base, if given) and, in the same transaction,
 * the name or `meta_data` of its documents; answers the updated item, undefined if not found.
 */
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
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('knowledge_contents')
      .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
      .where('id', '=', id)
      .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    if (patch.name !== undefined)
      await trx
        .updateTable('knowledge_documents')
        .set({ name: patch.name })
        .where('content_id', '=', row.id)
        .execute();
    if (patch.metadata !== undefined)
      await trx
        .updateTable('knowledge_documents')
        .set({
          meta_data: sql`coalesce(${json(patch.metadata)}::jsonb, '{}'::jsonb) || jsonb_build_object('chunk', chunk_index + 1, 'chunk_size', size)`,
        })
        .where('content_id', '=', row.id)
        .execute();
    return row;
  });
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

/**
 * Deletes every content item (of one knowledge base, if given; of an owner scope's rows, if
 * given); answers the number deleted.
 */
export async function deleteAllContents(db: Db, opts: ContentScope = {}): Promise<number> {
  const r = await db
    .deleteFrom('knowledge_contents')
    .$if(opts.knowledgeId !== undefined, (q) => q.where('knowledge_id', '=', opts.knowledgeId!))
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The distinct top-level keys of the content items' metadata (of one knowledge base, if given), sorted. */
export async function listMetadataKeys(db: Db, opts: ContentScope = {}): Promise<string[]> {
  const inKnowledgeBase =
    opts.knowledgeId === undefined ? sql`true` : sql`c.knowledge_id = ${opts.knowledgeId}`;
  const visible = opts.visibleTo === undefined ? sql`true` : visibleTo(opts.visibleTo, 'c.user_id');
  const keys = await sql<{ key: string }>`
    select distinct k.key from knowledge_contents c
    cross join lateral jsonb_object_keys(case when jsonb_typeof(c.metadata) = 'object' then c.metadata else '{}'::jsonb end) as k(key)
    where ${inKnowledgeBase} and ${visible} order by k.key`.execute(db);
  return keys.rows.map((r) => r.key);
}

// ------------------------------------------------------------------------------------ documents

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

/** The documents (chunks) of a content item, in order. */
export async function listDocuments(db: Db, contentId: string): Promise<KnowledgeDocumentRow[]> {
  return db
    .selectFrom('knowledge_documents')
    .select(DOCUMENT_COLUMNS)
    .where('content_id', '=', contentId)
    .orderBy('chunk_index')
    .orderBy('id')
    .execute();
}

export interface SearchOptions {
  /** Web-search syntax: words, "quoted phrases", `or`, `-excluded`. */
  query: string;
  knowledgeId?: string;
  /** Under isolation: documents of the caller's items and the shared ones. Default: every document. */
  visibleTo?: OwnerScope | undefined;
  /**
   * `all` (default): documents with every word (the web-search query as given). `any`: documents
   * with any word, those with every word first.
   */
  match?: 'all' | 'any';
  /** Only documents whose `meta_data` contains this object (jsonb `@>`); none if null or empty. */
  filters?: Record<string, unknown> | null;
  /** At most this many hits. */
  limit: number;
}

export interface SearchHit
  extends Pick<KnowledgeDocumentRow, 'id' | 'content' | 'name' | 'meta_data' | 'content_id' | 'size'> {
  /** `source` of the content item the document belongs to. */
  source: KnowledgeContentRow['source'];
  /** Relevance in [0, 1) (higher is better); 0 for a substring match. */
  score: number;
}

/**
 * Full-text search over the documents (english stemming), best match first (then by content id
 * and chunk). A query of stop words only has no full-text form and matches documents containing
 * it as a substring (case-insensitive), with score 0.
 */
export async function search(db: Db, opts: SearchOptions): Promise<SearchHit[]> {
  const parsed = await sql<{ n: number; lexemes: string[] | null }>`
    select numnode(websearch_to_tsquery('english', ${opts.query})) as n,
      tsvector_to_array(to_tsvector('english', ${opts.query})) as lexemes`.execute(db);
  const allTerms = sql`websearch_to_tsquery('english', ${opts.query})`;
  // Stemmed lexemes are quoted into an OR query; odd characters never reach the tsquery syntax.
  const lexemes = (parsed.rows[0]?.lexemes ?? []).filter((l) => /^[\p{L}\p{N}_.-]+$/u.test(l));
  const anyTerm = sql`${lexemes.map((l) => `'${l}'`).join(' | ')}::tsquery`;
  let matchSql: RawBuilder<unknown>;
  let rankSql: RawBuilder<number>;
  if (Number(parsed.rows[0]?.n ?? 0) === 0 || lexemes.length === 0) {
    // A query of stop words only has no full-text form: a substring match instead.
    matchSql = sql`d.content ilike ${`%${likeEscape(opts.query)}%`}`;
    rankSql = sql<number>`0`;
  } else if ((opts.match ?? 'all') === 'all') {
    // Every word (web-search syntax: "phrases", or, -exclusions).
    matchSql = sql`d.search_vector @@ ${allTerms}`;
    rankSql = sql<number>`ts_rank_cd(d.search_vector, ${allTerms}, 32)`;
  } else {
    // Any word; documents with every word rank first, then by cover density.
    matchSql = sql`d.search_vector @@ ${anyTerm}`;
    rankSql = sql<number>`(ts_rank_cd(d.search_vector, ${anyTerm}, 32) + case when d.search_vector @@ ${allTerms} then 1 else 0 end) / 2`;
  }
  const inKnowledgeBase =
    opts.knowledgeId === undefined ? sql`true` : sql`d.knowledge_id = ${opts.knowledgeId}`;
  const filters = opts.filters && Object.keys(opts.filters).length > 0 ? json(opts.filters) : null;
  const filterSql = filters === null ? sql`true` : sql`d.meta_data @> ${filters}::jsonb`;
  const visible = opts.visibleTo === undefined ? sql`true` : visibleTo(opts.visibleTo, 'c.user_id');
  const result = await sql<SearchHit>`
    select d.id, d.content, d.name, d.meta_data, d.content_id, d.size, c.source, ${rankSql} as score
    from knowledge_documents d join knowledge_contents c on c.id = d.content_id
    where ${inKnowledgeBase} and ${visible} and ${matchSql} and ${filterSql}
    order by score desc, d.content_id asc, d.chunk_index asc
    limit ${opts.limit}`.execute(db);
  return result.rows;
}
