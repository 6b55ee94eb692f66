/**
 * @module The file readers of the knowledge base: which uploaded files the server reads as UTF-8
 * text (by extension, else by a text MIME type), as listed by `GET /knowledge/config`.
 */

/** A reader: its id (`reader_id` of an upload), agno's class name, and the extensions it takes. */
export interface Reader {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly extensions: readonly string[];
}

export const READERS: readonly Reader[] = [
  {
    id: 'text',
    name: 'TextReader',
    description: 'Reads plain text files (UTF-8)',
    extensions: [
      '.txt',
      '.text',
      '.log',
      '.html',
      '.htm',
      '.xml',
      '.yaml',
      '.yml',
      '.ts',
      '.js',
      '.py',
      '.go',
      '.rs',
      '.java',
      '.c',
      '.h',
      '.sql',
      '.sh',
    ],
  },
  {
    id: 'markdown',
    name: 'MarkdownReader',
    description: 'Reads Markdown files (UTF-8)',
    extensions: ['.md', '.markdown'],
  },
  { id: 'csv', name: 'CSVReader', description: 'Reads CSV files (UTF-8)', extensions: ['.csv', '.tsv'] },
  {
    id: 'json',
    name: 'JSONReader',
    description: 'Reads JSON files (UTF-8)',
    extensions: ['.json', '.jsonl'],
  },
];

const TEXT_MIME =
  /^(text\/|application\/(json|x-ndjson|xml|x-yaml|yaml|javascript|x-sh|sql|csv)\b)|\+(json|xml)\b/;

export function extensionOf(name: string | null | undefined): string {
  const m = /\.[A-Za-z0-9]+$/.exec(name ?? '');
  return m ? m[0].toLowerCase() : '';
}

/** The reader for a file, or null when the server cannot read it as text. */
export function readerFor(fileName: string | null, mime: string | null): Reader | null {
  const ext = extensionOf(fileName);
  const byExt = READERS.find((r) => r.extensions.includes(ext));
  if (byExt) return byExt;
  if (mime && TEXT_MIME.test(mime)) return READERS[0]!;
  return null;
}
