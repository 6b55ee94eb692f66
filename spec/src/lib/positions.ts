/**
 * @module Source positions for lint findings: a JSON pointer into the bundled document → the
 * `file:line:column` of the YAML that wrote it, in the source fragment that defines it (`paths` and
 * `components` entries come from the fragment that holds them, the rest from `index.yaml`). A
 * pointer into something the bundler added (`security`, the derived 401/403) lands on the nearest
 * ancestor the sources wrote. Positions are 1-based, as editors and SARIF count them.
 */
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** Where a finding is in the sources. */
export interface SourcePosition {
  /** Path of the source file, as given to {@link loadPositionIndex}. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units, as the `yaml` package counts them). */
  column: number;
}

/** Finds the source position of a JSON pointer. */
export interface PositionIndex {
  locate(pointer: string): SourcePosition | undefined;
}

interface Source {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

function decode(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value of `token` in a map or sequence node, with the node to point at (the key for a map entry). */
function child(node: unknown, token: string): { value: unknown; at: Node } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      // `200:` unquoted is a number key; the pointer token is always a string.
      if (String(key) === token)
        return { value: pair.value, at: (isScalar(pair.key) ? pair.key : pair.value) as Node };
    }
    return undefined;
  }
  if (isSeq(node) && /^(0|[1-9]\d*)$/.test(token)) {
    const item = node.items[Number(token)];
    return item === undefined ? undefined : { value: item, at: item as Node };
  }
  return undefined;
}

function has(source: Source, tokens: readonly string[]): boolean {
  let node: unknown = source.doc.contents;
  for (const t of tokens) {
    const next = child(node, t);
    if (!next) return false;
    node = next.value;
  }
  return true;
}

/**
 * Builds an index over parsed YAML sources.
 * @param sources the source texts; the first one is the root (`index.yaml`), used for pointers no
 *   fragment claims
 */
export function createPositionIndex(sources: readonly { file: string; text: string }[]): PositionIndex {
  const parsed: Source[] = sources.map(({ file, text }) => {
    const lines = new LineCounter();
    return { file, doc: parseDocument(text, { lineCounter: lines }), lines };
  });
  return {
    locate(pointer) {
      const tokens = decode(pointer);
      // The entry that owns the pointer: a path, a component, or a top-level key.
      const owner =
        tokens[0] === 'paths'
          ? tokens.slice(0, 2)
          : tokens[0] === 'components'
            ? tokens.slice(0, 3)
            : tokens.slice(0, 1);
      const source = parsed.find((s) => has(s, owner)) ?? parsed[0];
      if (!source) return undefined;
      let node: unknown = source.doc.contents;
      let at: Node | undefined = isMap(node) || isSeq(node) ? (node as Node) : undefined;
      for (const t of tokens) {
        const next = child(node, t);
        if (!next) break;
        node = next.value;
        at = next.at;
      }
      const offset = at?.range?.[0];
      if (offset === undefined) return undefined;
      const { line, col } = source.lines.linePos(offset);
      return { file: source.file, line, column: col };
    },
  };
}

/**
 * Reads the source files and indexes them.
 * @throws the read error of a file that cannot be read (callers pass files they just listed)
 */
export async function loadPositionIndex(files: readonly string[]): Promise<PositionIndex> {
  const sources = await Promise.all(
    files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })),
  );
  return createPositionIndex(sources);
}
