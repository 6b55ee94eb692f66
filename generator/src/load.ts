/**
 * @module Reading the OpenAPI document: YAML or JSON, external `$ref`s bundled in, hashed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GenerationError } from './errors.js';
import { stableStringify } from './lib/json.js';
import type { JsonObject } from './model.js';
import { isObject } from './transform/reference.js';

export interface LoadedSpec {
  /** The document with only local `$ref`s. */
  readonly document: JsonObject;
  /** How messages name the document: the path as given, or `specName`. */
  readonly file: string;
  /** Basename for headers: `agentos.openapi.yaml`. */
  readonly specName: string;
  /** Hex sha256 of the file's bytes (of its sorted-key JSON for in-memory documents). */
  readonly sha256: string;
}

function hasExternalRef(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasExternalRef);
  if (!isObject(value)) return false;
  if (typeof value.$ref === 'string' && !value.$ref.startsWith('#')) return true;
  return Object.values(value).some(hasExternalRef);
}

/**
 * Loads the document.
 * @param spec a file path, or an already parsed document (not modified)
 * @param specName the name used in headers and messages; default the file's basename, or `openapi.json`
 * @throws {GenerationError} `ERR_GEN_SPEC_READ` / `ERR_GEN_SPEC_PARSE`
 */
export async function loadSpec(spec: string | object, specName?: string): Promise<LoadedSpec> {
  if (typeof spec !== 'string') {
    if (!isObject(spec)) {
      throw new GenerationError('ERR_GEN_SPEC_PARSE', {
        file: specName ?? 'openapi.json',
        message: 'the document must be an object',
      });
    }
    const name = specName ?? 'openapi.json';
    const sha256 = createHash('sha256').update(stableStringify(spec)).digest('hex');
    let document = structuredClone(spec) as JsonObject;
    if (hasExternalRef(document)) document = await bundle(document, name);
    return { document, file: name, specName: basename(name), sha256 };
  }

  let bytes: Buffer;
  try {
    bytes = await readFile(spec);
  } catch (e) {
    throw new GenerationError('ERR_GEN_SPEC_READ', {
      file: spec,
      message: `cannot read the document: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    parsed = parseYaml(bytes.toString('utf8'), { maxAliasCount: -1 });
  } catch (e) {
    throw new GenerationError('ERR_GEN_SPEC_PARSE', { file: spec, message: (e as Error).message });
  }
  if (!isObject(parsed)) {
    throw new GenerationError('ERR_GEN_SPEC_PARSE', {
      file: spec,
      message: 'the document is not a YAML/JSON object',
    });
  }
  const document = hasExternalRef(parsed) ? await bundle(resolve(spec), spec) : parsed;
  return { document, file: spec, specName: specName ?? basename(spec), sha256 };
}

/** Brings external references into the document (swagger-parser `bundle`, internal `$ref`s kept). */
async function bundle(source: string | JsonObject, file: string): Promise<JsonObject> {
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  try {
    return (await SwaggerParser.bundle(source as never)) as unknown as JsonObject;
  } catch (e) {
    throw new GenerationError('ERR_GEN_REF', {
      file,
      message: `cannot bundle external references: ${(e as Error).message}`,
    });
  }
}
