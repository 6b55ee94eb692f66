/**
 * @module Knowledge: the content of the server's knowledge base and its search. Research §1.8.
 *
 * Ownership (contract.md §5, agno 3.1): under user isolation a scoped caller reads its own items
 * and the workspace-level ones (no owner: those an admin or unscoped caller uploads), searches
 * their chunks only, writes only its own (a shared item answers 403 `Cannot modify shared
 * content` / `Cannot delete shared content` / `Cannot refresh shared content`, another user's
 * 404 as a missing one), and its uploads are its own.
 *
 * The reference server has one knowledge base, {@link KNOWLEDGE_ID}, stored in PostgreSQL:
 * content items in `knowledge_contents`, their chunks in `knowledge_documents` (with a generated
 * `tsvector`). Differences from the Python AgentOS, all visible through the API:
 *
 * - Content is read and chunked synchronously, so `POST /knowledge/content` answers 202 with the
 *   final status (`completed`, or `failed` with a `status_message`), never a stale `processing`.
 * - Uploaded files are read as UTF-8 text (text, Markdown, CSV, JSON, XML, YAML, HTML, source
 *   code); other file types are stored as `failed` content ("unsupported file type").
 * - URLs are never fetched (no outbound requests from the server): content given by `url` is
 *   stored as `failed` with a message saying so. No remote content sources are configured, so
 *   `POST /knowledge/remote-content` answers 400 `Unknown content source: …`.
 * - Search is PostgreSQL full-text search (english stemming, ranked by `ts_rank_cd`, scores in
 *   [0, 1)). `keyword` matches every word (`websearch_to_tsquery` syntax, as the Python keyword
 *   search). There are no embeddings: `vector` and `hybrid` are accepted and run as full-text
 *   searches that match any word, documents with every word first. `GET /knowledge/config` says
 *   so (`vector_dbs[].search_types` is `["keyword"]`, with a description).
 */
import { createHash } from 'node:crypto';
import type { ContentStatus, KnowledgeContentRow } from '../db/index.js';
import { knowledge } from '../db/repos/index.js';
import type { Handlers } from '../generated/server.js';
import {
  CHUNKER_KEYS,
  CHUNKERS,
  type ChunkerKey,
  chunkText,
  DEFAULT_CHUNK_SIZE,
} from '../knowledge/chunkers.js';
import { extensionOf, READERS, type Reader, readerFor } from '../knowledge/readers.js';
import type { ServerContext } from '../server-context.js';
import { assertWritable, type Ownership, ownerScope } from './isolation.js';
import { pageMeta, pageRequest, startTimer } from './pagination.js';
import { asObject, fail, iso, type JsonRecord, type Schemas } from './wire.js';

export type KnowledgeHandlers = Pick<
  Handlers,
  | 'createKnowledgeContent'
  | 'listKnowledgeContent'
  | 'deleteAllKnowledgeContent'
  | 'createRemoteKnowledgeContent'
  | 'getKnowledgeContent'
  | 'updateKnowledgeContent'
  | 'deleteKnowledgeContent'
  | 'getKnowledgeContentStatus'
  | 'searchKnowledge'
  | 'getKnowledgeConfig'
  | 'listKnowledgeSources'
  | 'listKnowledgeSourceFiles'
  | 'refreshContent'
>;

/** Why content given by URL is stored as `failed`: the server makes no outbound requests. */
const URL_NOT_READ =
  'Reading URLs is not supported by this server (it makes no outbound requests): upload the file or send its text as text_content';

/** Knowledge content has workspace-level rows a scoped caller reads but never writes (agno's details). */
const CONTENT: Ownership = {
  shared: {
    modify: 'Cannot modify shared content',
    delete: 'Cannot delete shared content',
    refresh: 'Cannot refresh shared content',
  },
};

/** The id of the server's single knowledge base. */
export const KNOWLEDGE_ID = 'knowledge';
/** The id under which the full-text index is listed as the knowledge base's "vector database". */
export const SEARCH_INDEX_ID = 'postgres-fts';

const DEFAULT_MAX_RESULTS = 1000;

// ------------------------------------------------------------------------------------- helpers

/** Uploaded files as multer (via express-openapi-validator) leaves them on `req.files`. */
interface UploadedFile {
  readonly fieldname: string;
  readonly originalname: string;
  readonly mimetype: string;
  readonly size: number;
  readonly buffer: Buffer;
}

function uploadedFile(req: unknown, field: string): UploadedFile | null {
  const files = (req as { files?: unknown }).files;
  if (!Array.isArray(files)) return null;
  return (files as UploadedFile[]).find((f) => f.fieldname === field && Buffer.isBuffer(f.buffer)) ?? null;
}

/** A form field as a string, `undefined` when absent or empty ("empty strings are treated as not given"). */
function field(body: unknown, name: string): string | undefined {
  const v = asObject(body)?.[name];
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : String(v);
  return s === '' ? undefined : s;
}

function intField(body: unknown, name: string): number | undefined {
  const v = asObject(body)?.[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isInteger(n)) fail(400, `${name} must be an integer`);
    return n;
  }
  return undefined;
}

/** `metadata` of an upload: a JSON object; any other string is stored as `{value: ...}`. */
function uploadMetadata(raw: string | undefined): JsonRecord | null {
  if (raw === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return asObject(parsed) ?? { value: parsed };
  } catch {
    return { value: raw };
  }
}

/** A deterministic content id (like the Python content hash): the same upload gets the same id. */
function contentId(parts: readonly (string | Buffer | null | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p ?? '\u0000');
    h.update('\u0001');
  }
  const hex = h.digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function toContent(row: KnowledgeContentRow): Schemas['ContentResponseSchema'] {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type,
    size: row.size === null ? null : String(row.size),
    linked_to: row.linked_to,
    metadata: asObject(row.metadata),
    access_count: row.access_count,
    status: row.status,
    status_message: row.status_message,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** The knowledge base named by `knowledge_id` (or the only one). `db_id` is accepted and ignored. */
function resolveKnowledge(knowledgeId: string | null | undefined): string {
  if (knowledgeId !== undefined && knowledgeId !== null && knowledgeId !== '' && knowledgeId !== KNOWLEDGE_ID)
    fail(404, `Knowledge base '${knowledgeId}' not found`);
  return KNOWLEDGE_ID;
}

/**
 * Creates the Knowledge handlers.
 * @example createKnowledgeHandlers(ctx).searchKnowledge
 */
export function createKnowledgeHandlers(ctx: ServerContext): KnowledgeHandlers {
  const db = () => ctx.database.db;

  interface Ingest {
    readonly kb: string;
    readonly id: string;
    readonly name: string | null;
    readonly description: string | null;
    readonly type: string | null;
    readonly size: number | null;
    readonly metadata: JsonRecord | null;
    readonly source: JsonRecord;
    /** The owner (null: a workspace-level item). */
    readonly userId: string | null;
    /** The text to index, or the reason it cannot be read. */
    readonly text: { ok: true; value: string } | { ok: false; message: string };
    readonly chunker: ChunkerKey;
    readonly chunkSize: number;
    readonly overlap: number;
  }

  /** Stores (or replaces) a content item and its chunks in one transaction; answers the stored row. */
  async function ingest(i: Ingest): Promise<KnowledgeContentRow> {
    const chunks = i.text.ok ? chunkText(i.text.value, i.chunker, i.chunkSize, i.overlap) : [];
    let status: ContentStatus = 'completed';
    let message: string | null = '';
    if (!i.text.ok) {
      status = 'failed';
      message = i.text.message;
    } else if (chunks.length === 0) {
      status = 'failed';
      message = 'The content has no text to index';
    }
    return knowledge.saveContent(
      db(),
      {
        id: i.id,
        knowledge_id: i.kb,
        name: i.name,
        description: i.description,
        type: i.type,
        size: i.size,
        metadata: i.metadata,
        status,
        status_message: message,
        source: i.source,
        user_id: i.userId,
        created_at: ctx.now(),
      },
      chunks,
    );
  }

  function chunkingOptions(body: unknown): { chunker: ChunkerKey; chunkSize: number; overlap: number } {
    const chunkerName = field(body, 'chunker');
    if (chunkerName !== undefined && !(CHUNKER_KEYS as string[]).includes(chunkerName))
      fail(400, `Invalid chunker: ${chunkerName}. Valid chunkers: ${CHUNKER_KEYS.join(', ')}`);
    const chunkSize = intField(body, 'chunk_size') ?? DEFAULT_CHUNK_SIZE;
    const overlap = intField(body, 'chunk_overlap') ?? 0;
    if (chunkSize < 1) fail(400, 'chunk_size must be at least 1');
    if (overlap < 0 || overlap >= chunkSize)
      fail(400, 'chunk_overlap must be at least 0 and smaller than chunk_size');
    return { chunker: (chunkerName as ChunkerKey | undefined) ?? 'FixedSizeChunker', chunkSize, overlap };
  }

  function checkReader(readerId: string | undefined): Reader | undefined {
    if (readerId === undefined) return undefined;
    const r = READERS.find((x) => x.id === readerId);
    if (!r) fail(400, `Invalid reader_id: ${readerId}`);
    return r;
  }

  return {
    async createKnowledgeContent({ query, body, req, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      // A scoped caller's upload is its own; an admin's or unscoped caller's is workspace-level (agno 3.1).
      const userId = caller.scopedUserId;
      // The owner is part of the id: the same upload by two owners makes two items, never a
      // replacement of another owner's (or a shared) item.
      const idOf = (parts: (string | Buffer | null | undefined)[]) =>
        contentId(userId === null ? parts : ['owner', userId, ...parts]);
      const file = uploadedFile(req, 'file');
      const text = field(body, 'text_content');
      const url = field(body, 'url');
      const readerId = field(body, 'reader_id');
      const reader = checkReader(readerId);
      const chunking = chunkingOptions(body);
      const metadata = uploadMetadata(field(body, 'metadata'));
      const description = field(body, 'description') ?? null;
      const common = { kb, description, metadata, userId, ...chunking };
      const options = {
        reader_id: readerId ?? null,
        chunker: chunking.chunker,
        chunk_size: chunking.chunkSize,
        chunk_overlap: chunking.overlap,
      };

      let row: KnowledgeContentRow;
      if (file) {
        const name = field(body, 'name') ?? file.originalname ?? null;
        const r = reader ?? readerFor(file.originalname, file.mimetype);
        let decoded: Ingest['text'];
        if (!r) {
          decoded = {
            ok: false,
            message: `Unsupported file type '${file.mimetype || extensionOf(file.originalname) || 'unknown'}': this server reads text files only (${READERS.map((x) => x.name).join(', ')})`,
          };
        } else {
          const value = new TextDecoder('utf-8', { fatal: false }).decode(file.buffer);
          decoded = value.includes('\u0000')
            ? { ok: false, message: `The file '${file.originalname}' is not UTF-8 text` }
            : { ok: true, value };
        }
        row = await ingest({
          ...common,
          id: idOf([kb, 'file', name, file.buffer]),
          name,
          type: file.mimetype || null,
          size: file.size,
          source: { file_name: file.originalname, ...options },
          text: decoded,
        });
      } else if (text !== undefined) {
        const name = field(body, 'name') ?? (text.trim().split('\n')[0] ?? '').slice(0, 80);
        row = await ingest({
          ...common,
          id: idOf([kb, 'text', name, text]),
          name,
          type: 'text/plain',
          size: Buffer.byteLength(text, 'utf8'),
          source: { type: 'text', ...options },
          text: { ok: true, value: text },
        });
      } else if (url !== undefined) {
        let urls: unknown = url;
        try {
          urls = JSON.parse(url);
        } catch {
          // a single URL
        }
        const list = (Array.isArray(urls) ? urls : [urls]).map(String);
        const name = field(body, 'name') ?? list.join(', ');
        row = await ingest({
          ...common,
          id: idOf([kb, 'url', name, list.join('\n')]),
          name,
          type: null,
          size: null,
          source: { urls: list, ...options },
          text: { ok: false, message: URL_NOT_READ },
        });
      } else {
        fail(400, 'Provide one of file, text_content or url');
      }
      return { status: 202, body: toContent(row) };
    },

    async listKnowledgeContent({ query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await knowledge.listContents(db(), {
        knowledgeId: kb,
        visibleTo: ownerScope(caller, CONTENT),
        sortBy: query.sort_by,
        sortOrder: query.sort_order,
        limit: p.limit,
        page: p.page,
      });
      return { status: 200, body: { data: rows.map(toContent), meta: pageMeta(p, total, started) } };
    },

    async deleteAllKnowledgeContent({ query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      // A scoped caller clears its own items only, never the shared ones (agno 3.1).
      const scoped = caller.scopedUserId;
      await knowledge.deleteAllContents(db(), {
        knowledgeId: kb,
        visibleTo: scoped === null ? undefined : { userId: scoped, shared: false },
      });
      return { status: 200, body: 'success' };
    },

    async createRemoteKnowledgeContent({ query, body }) {
      resolveKnowledge(query.knowledge_id);
      // No remote content source (S3, GCS, SharePoint, GitHub, Azure Blob) is configured.
      fail(400, `Unknown content source: ${body.config_id}. Check /knowledge/config for available sources.`);
    },

    // Re-reads a URL-sourced item from its source, as its creation did (agno 3.1 refresh). This
    // server fetches no URLs, so the item is read again into the same `failed` state; any other
    // item has no source to refresh from (agno's 400).
    async refreshContent({ path, query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      const row = await knowledge.getContent(db(), path.content_id, { knowledgeId: kb });
      assertWritable(caller, CONTENT, row, 'refresh', `Content not found: ${path.content_id}`);
      const source = asObject(row.source) ?? {};
      const urls = Array.isArray(source.urls) ? source.urls.map(String) : [];
      if (urls.length === 0) fail(400, 'Content has no source URL to refresh from');
      const chunker = (CHUNKER_KEYS as string[]).includes(String(source.chunker))
        ? (source.chunker as ChunkerKey)
        : 'FixedSizeChunker';
      const refreshed = await ingest({
        kb,
        id: row.id,
        name: row.name,
        description: row.description,
        type: row.type,
        size: row.size,
        metadata: asObject(row.metadata) ?? null,
        source,
        userId: row.user_id,
        chunker,
        chunkSize: typeof source.chunk_size === 'number' ? source.chunk_size : DEFAULT_CHUNK_SIZE,
        overlap: typeof source.chunk_overlap === 'number' ? source.chunk_overlap : 0,
        text: { ok: false, message: URL_NOT_READ },
      });
      return { status: 202, body: toContent(refreshed) };
    },

    async getKnowledgeContent({ path, query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      const row = await knowledge.getContent(db(), path.content_id, {
        knowledgeId: kb,
        visibleTo: ownerScope(caller, CONTENT),
      });
      if (!row) fail(404, `Content not found: ${path.content_id}`);
      return { status: 200, body: toContent(row) };
    },

    async updateKnowledgeContent({ path, query, body, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      const row = await knowledge.getContent(db(), path.content_id, { knowledgeId: kb });
      assertWritable(caller, CONTENT, row, 'modify', `Content not found: ${path.content_id}`);
      const name = field(body, 'name');
      const description = field(body, 'description');
      const rawMetadata = field(body, 'metadata');
      let metadata: JsonRecord | undefined;
      if (rawMetadata !== undefined) {
        try {
          const parsed = asObject(JSON.parse(rawMetadata));
          if (!parsed) throw new Error('not an object');
          metadata = parsed;
        } catch {
          fail(400, 'Invalid JSON format for metadata');
        }
      }
      const readerId = field(body, 'reader_id');
      checkReader(readerId);
      const updated = await knowledge.updateContent(
        db(),
        row.id,
        {
          name,
          description,
          metadata,
          source: {
            ...(asObject(row.source) ?? {}),
            ...(readerId !== undefined ? { reader_id: readerId } : {}),
          },
          updated_at: ctx.now(),
        },
        { knowledgeId: kb },
      );
      if (!updated) fail(404, `Content not found: ${path.content_id}`);
      return { status: 200, body: toContent(updated) };
    },

    async deleteKnowledgeContent({ path, query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      if (caller.scopedUserId !== null) {
        const row = await knowledge.getContent(db(), path.content_id, { knowledgeId: kb });
        assertWritable(caller, CONTENT, row, 'delete', `Content not found: ${path.content_id}`);
      }
      await knowledge.deleteContent(db(), path.content_id, { knowledgeId: kb });
      return { status: 200, body: { id: path.content_id } };
    },

    async getKnowledgeContentStatus({ path, query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      // A missing item, and another user's, is a 404 as for the item itself (agno 3.1; before it,
      // 200 with status `failed`, which could not be told from content that failed to ingest).
      const row = await knowledge.getContent(db(), path.content_id, {
        knowledgeId: kb,
        visibleTo: ownerScope(caller, CONTENT),
      });
      if (!row) fail(404, `Content not found: ${path.content_id}`);
      return {
        status: 200,
        body: { id: row.id, status: row.status, status_message: row.status_message ?? '' },
      };
    },

    async searchKnowledge({ body, caller }) {
      const started = startTimer();
      const kb = resolveKnowledge(body.knowledge_id);
      if (
        body.vector_db_ids &&
        body.vector_db_ids.length > 0 &&
        !body.vector_db_ids.includes(SEARCH_INDEX_ID)
      )
        fail(
          400,
          `None of the provided Vector DB IDs ${JSON.stringify(body.vector_db_ids)} match the knowledge base Vector DB ID ${SEARCH_INDEX_ID}`,
        );
      const searchType = body.search_type ?? 'keyword';
      if (!['keyword', 'vector', 'hybrid'].includes(searchType))
        fail(400, `Invalid search_type: ${searchType}. Valid types: keyword, vector, hybrid`);
      const p = pageRequest(body.meta?.page, body.meta?.limit);
      const hits = await knowledge.search(db(), {
        query: body.query,
        knowledgeId: kb,
        visibleTo: ownerScope(caller, CONTENT),
        // vector / hybrid run as full-text search: any word matches, documents with every word first.
        match: searchType === 'keyword' ? 'all' : 'any',
        filters: body.filters,
        limit: body.max_results ?? DEFAULT_MAX_RESULTS,
      });
      const page = hits.slice(p.offset, p.offset + p.limit);
      const data: Schemas['VectorSearchResult'][] = page.map((r) => {
        const source = asObject(r.source);
        const origin = source?.file_name ?? (Array.isArray(source?.urls) ? source.urls[0] : null);
        return {
          id: r.id,
          content: r.content,
          name: r.name,
          meta_data: asObject(r.meta_data),
          reranking_score: Math.min(1, Math.max(0, Number(r.score))),
          content_id: r.content_id,
          content_origin: typeof origin === 'string' ? origin : null,
          size: r.size,
        };
      });
      return { status: 200, body: { data, meta: pageMeta(p, hits.length, started) } };
    },

    async getKnowledgeConfig({ query, caller }) {
      const kb = resolveKnowledge(query.knowledge_id);
      // The metadata keys of the items the caller may read (agno 3.1 scopes the valid filters).
      const filters = await knowledge.listMetadataKeys(db(), {
        knowledgeId: kb,
        visibleTo: ownerScope(caller, CONTENT),
      });
      const readers: Record<string, Schemas['ReaderSchema']> = {};
      const readersForType: Record<string, string[]> = {};
      for (const r of READERS) {
        readers[r.id] = { id: r.id, name: r.name, description: r.description, chunkers: [...CHUNKER_KEYS] };
        for (const ext of r.extensions) readersForType[ext] = [...(readersForType[ext] ?? []), r.id];
      }
      const chunkers: Record<string, Schemas['ChunkerSchema']> = {};
      for (const k of CHUNKER_KEYS)
        chunkers[k] = {
          key: k,
          name: k,
          description: CHUNKERS[k],
          metadata: { default_chunk_size: DEFAULT_CHUNK_SIZE, default_chunk_overlap: 0 },
        };
      return {
        status: 200,
        body: {
          readers,
          readersForType,
          chunkers,
          filters,
          vector_dbs: [
            {
              id: SEARCH_INDEX_ID,
              name: 'PostgreSQL full-text search',
              description:
                'PostgreSQL full-text search (english). "keyword" matches every word; there are no embeddings, so "vector" and "hybrid" are accepted and run as full-text searches matching any word (documents with every word first).',
              search_types: ['keyword'],
            },
          ],
          remote_content_sources: [],
        },
      };
    },

    async listKnowledgeSources({ path }) {
      resolveKnowledge(path.knowledge_id);
      return { status: 200, body: [] };
    },

    async listKnowledgeSourceFiles({ path }) {
      resolveKnowledge(path.knowledge_id);
      fail(404, `Content source not found: ${path.source_id}`);
    },
  };
}
