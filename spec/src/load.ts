/** @module Reading the bundled AgentOS OpenAPI document (or any OpenAPI document) from disk. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SpecError } from './errors.js';
import { isObject, type OpenAPIDocument } from './lib/document.js';

/** Absolute path of the bundled document shipped with this package, `spec/agentos.openapi.yaml`. */
export const specPath: string = fileURLToPath(new URL('../agentos.openapi.yaml', import.meta.url));

/**
 * Reads an OpenAPI document: JSON when the file name ends in `.json`, YAML otherwise.
 * `$ref`s are kept as they are.
 *
 * @param file path of the document; defaults to {@link specPath}, the bundled AgentOS spec.
 * @throws {SpecError} `ERR_SPEC_READ` when the file cannot be read, `ERR_SPEC_PARSE` when it is not
 *   YAML/JSON or not an object.
 * @example
 * const spec = await loadSpec();
 * console.log(Object.keys(spec.paths as object).length);
 */
export async function loadSpec(file: string = specPath): Promise<OpenAPIDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SpecError('ERR_SPEC_READ', `Cannot read ${file}: ${(cause as Error).message}`, { file, cause });
  }
  return parseDocument(text, file);
}

/** Parses YAML or JSON text; `file` names it in errors and picks the parser. */
function parseDocument(text: string, file: string): OpenAPIDocument {
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parse(text, { prettyErrors: true });
  } catch (cause) {
    throw new SpecError(
      'ERR_SPEC_PARSE',
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      { file, cause },
    );
  }
  if (!isObject(value)) {
    throw new SpecError(
      'ERR_SPEC_PARSE',
      `${file} does not hold an object (an OpenAPI document is a map with "openapi", "info", "paths"...).`,
      { file },
    );
  }
  return value;
}
