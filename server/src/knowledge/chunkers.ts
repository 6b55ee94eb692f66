/**
 * @module The chunkers of the knowledge base (agno's `FixedSizeChunker`, `RecursiveChunker`,
 * `DocumentChunker`): how content text is split into the documents the full-text index stores.
 */

/** The chunk size when a request names none (characters). */
export const DEFAULT_CHUNK_SIZE = 5000;

/** The chunkers, by agno's class name, with what each does. */
export const CHUNKERS = {
  FixedSizeChunker: 'Splits text into chunks of a fixed size (at a word boundary when possible).',
  RecursiveChunker: 'Splits text on paragraphs, lines, sentences and words until each chunk fits the size.',
  DocumentChunker: 'Keeps paragraphs whole, packing consecutive paragraphs into chunks up to the size.',
} as const;
export type ChunkerKey = keyof typeof CHUNKERS;
export const CHUNKER_KEYS = Object.keys(CHUNKERS) as ChunkerKey[];

/** Splits `text` into pieces of at most `size` characters (word boundary when possible), with overlap. */
function fixedChunks(text: string, size: number, overlap: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start + size / 2) end = space;
    }
    const piece = text.slice(start, end).trim();
    if (piece) out.push(piece);
    if (end >= text.length) break;
    start = Math.max(end - overlap, start + 1);
  }
  return out;
}

const SEPARATORS = ['\n\n', '\n', '. ', ' '];

function recursiveChunks(text: string, size: number, overlap: number, level = 0): string[] {
  if (text.length <= size) return text.trim() ? [text.trim()] : [];
  const sep = SEPARATORS[level];
  if (sep === undefined) return fixedChunks(text, size, overlap);
  const parts = text
    .split(sep)
    .flatMap((p) => (p.length > size ? recursiveChunks(p, size, overlap, level + 1) : [p]));
  return pack(parts, size, sep);
}

/** Packs consecutive pieces into chunks of at most `size` characters. */
function pack(parts: readonly string[], size: number, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    if (!current) current = part;
    else if (current.length + sep.length + part.length <= size) current += sep + part;
    else {
      out.push(current);
      current = part;
    }
  }
  if (current) out.push(current);
  return out;
}

function documentChunks(text: string, size: number, overlap: number): string[] {
  const paragraphs = text
    .split(/\n\s*\n/)
    .flatMap((p) => (p.length > size ? fixedChunks(p, size, overlap) : [p]));
  return pack(paragraphs, size, '\n\n');
}

/** Splits `text` with a chunker into chunks of at most `size` characters, `overlap` shared. */
export function chunkText(text: string, chunker: ChunkerKey, size: number, overlap: number): string[] {
  const normalized = text.replace(/\r\n?/g, '\n');
  if (chunker === 'RecursiveChunker') return recursiveChunks(normalized, size, overlap);
  if (chunker === 'DocumentChunker') return documentChunks(normalized, size, overlap);
  return fixedChunks(normalized, size, overlap);
}
