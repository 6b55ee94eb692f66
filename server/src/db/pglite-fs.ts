/**
 * PGlite's file bundle (`pglite.data`, 6 MB: PostgreSQL's `share/` and `lib/` directories) without
 * the files a server on an existing data directory never reads. PGlite keeps the whole bundle in
 * memory for the life of the instance (its in-memory file system points into it); about 4 MB of it
 * are initdb's inputs (`postgres.bki`, `information_schema.sql`, …), PGXS build files and the
 * encoding conversion libraries (the server's database and client encoding are both UTF-8) and
 * replication plug-ins (this PostgreSQL has no WAL senders).
 *
 * The bundle handed to PGlite has the same size and layout (PGlite checks its size and reads each
 * file at a fixed offset) but only the kept files are read into it: it is a resizable
 * `ArrayBuffer`, whose pages the operating system provides on first write, so the left-out ranges
 * never become resident. Once PGlite is ready the left-out files are removed from its file system:
 * a read of one fails (file not found), it can never see the zeroes.
 *
 * Answers undefined (PGlite then loads its own bundle) when the bundle's file list cannot be read
 * from PGlite's loader or does not match the file on disk.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Files a running server never reads (its data directory exists: initdb ran elsewhere). */
const LEFT_OUT = [
  // PGXS: the extension build system.
  /^\/pglite\/lib\/postgresql\/pgxs\//,
  // Encoding conversions (database and client are UTF-8) and the replication plug-ins.
  /^\/pglite\/lib\/postgresql\/(?!(?:dict_snowball|plpgsql)\.so$)[a-z0-9_]+\.so$/,
  // initdb's inputs and the sample configuration files.
  /^\/pglite\/share\/postgresql\/(postgres\.bki|information_schema\.sql|system_[a-z]+\.sql|snowball_create\.sql|sql_features\.txt|errcodes\.txt|[a-z_.]+\.sample)$/,
];

/** `ArrayBuffer` with ES2024's `maxByteLength` option (Node 20; TypeScript's lib here predates it). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => ArrayBuffer;

export interface BundleFile {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export interface TrimmedBundle {
  /** What PGlite's `fsBundle` option takes (it only calls `arrayBuffer()`). */
  readonly fsBundle: Blob;
  /** The files whose bytes were left out: remove them once PGlite is ready (`removeLeftOut`). */
  readonly leftOut: readonly string[];
  /** Bytes of the bundle not read into memory. */
  readonly leftOutBytes: number;
}

/** The bundle's file list, from PGlite's Emscripten loader (`loadPackage({files: [...]})`). */
export function bundleFiles(loaderSource: string): { files: BundleFile[]; size: number } | undefined {
  const size = /remote_package_size:(\d+)/.exec(loaderSource);
  if (!size) return undefined;
  const files: BundleFile[] = [];
  for (const m of loaderSource.matchAll(/\{filename:"([^"]+)",start:(\d+),end:(\d+)\}/g))
    files.push({ name: m[1]!, start: Number(m[2]), end: Number(m[3]) });
  // Contiguous from 0 to the package size, or this is not the list we know.
  let at = 0;
  for (const f of files) {
    if (f.start !== at || f.end < f.start) return undefined;
    at = f.end;
  }
  if (files.length === 0 || at !== Number(size[1])) return undefined;
  return { files, size: at };
}

export function isLeftOut(name: string): boolean {
  return LEFT_OUT.some((re) => re.test(name));
}

/** The trimmed bundle of the installed PGlite, or undefined when its layout is not the expected one. */
export function trimmedBundle(): TrimmedBundle | undefined {
  try {
    const entry = import.meta.resolve('@electric-sql/pglite');
    const loader = readFileSync(fileURLToPath(new URL('./pglite.js', entry)), 'utf8');
    const dataPath = fileURLToPath(new URL('./pglite.data', entry));
    const list = bundleFiles(loader);
    if (!list || statSync(dataPath).size !== list.size) return undefined;
    // Resizable: allocated as reserved pages, resident only once written (a plain ArrayBuffer may
    // come from the C heap and be zeroed, i.e. written, whole).
    const buffer = new ResizableArrayBuffer(list.size, { maxByteLength: list.size });
    const bytes = new Uint8Array(buffer);
    const leftOut: string[] = [];
    let leftOutBytes = 0;
    const fd = openSync(dataPath, 'r');
    try {
      // Runs of consecutive kept files, one read each.
      let run: { start: number; end: number } | undefined;
      const flush = () => {
        if (!run) return;
        let at = run.start;
        while (at < run.end) {
          const n = readSync(fd, bytes, at, run.end - at, at);
          if (n <= 0) throw new Error('pglite.data: short read');
          at += n;
        }
        run = undefined;
      };
      for (const f of list.files) {
        if (isLeftOut(f.name)) {
          flush();
          leftOut.push(f.name);
          leftOutBytes += f.end - f.start;
        } else if (run && run.end === f.start) run.end = f.end;
        else {
          flush();
          run = { start: f.start, end: f.end };
        }
      }
      flush();
    } finally {
      closeSync(fd);
    }
    const fsBundle = { arrayBuffer: async () => buffer } as unknown as Blob;
    return { fsBundle, leftOut, leftOutBytes };
  } catch {
    return undefined;
  }
}

interface EmscriptenFS {
  unlink(path: string): void;
}

/** Removes the left-out files from a ready PGlite's file system. Answers how many were removed. */
export function removeLeftOut(pglite: unknown, leftOut: readonly string[]): number {
  const fs = (pglite as { mod?: { FS?: EmscriptenFS } }).mod?.FS;
  if (!fs) return 0;
  let removed = 0;
  for (const name of leftOut) {
    try {
      fs.unlink(name);
      removed++;
    } catch {
      // not there: nothing to remove
    }
  }
  return removed;
}
