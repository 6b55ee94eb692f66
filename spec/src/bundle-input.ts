/**
 * @module Bundling any OpenAPI document the user names (`agentos-spec bundle INPUT [OUTPUT]`): a
 * sources folder in the AgentOS layout (`index.yaml` + `paths/*.yaml`), or one YAML/JSON file whose
 * external `$ref`s swagger-parser brings in (internal ones kept).
 */
import { stat } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { stringify } from 'yaml';
import { bundleSpec } from './bundle.js';
import { SpecError } from './errors.js';

/**
 * Bundles `input` into one YAML document.
 * @param input a folder holding `index.yaml` (and optionally `paths/`), or a YAML/JSON file
 * @returns the YAML text
 * @throws {SpecError} `ERR_SPEC_READ` when the input cannot be read, `ERR_SPEC_PARSE` when a `$ref`
 *   does not resolve or the file is not YAML/JSON; the folder errors of {@link bundleSpec}
 * @example
 * await writeFile('api.bundled.yaml', await bundleInput('api/openapi.yaml'));
 */
export async function bundleInput(input: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(input)).isDirectory();
  } catch (cause) {
    throw new SpecError('ERR_SPEC_READ', `Cannot read ${input}: ${(cause as Error).message}`, {
      file: input,
      cause,
    });
  }
  if (isDir) return (await bundleSpec({ root: input })).yaml;
  try {
    const document = await SwaggerParser.bundle(input);
    return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
  } catch (cause) {
    throw new SpecError('ERR_SPEC_PARSE', `Cannot bundle ${input}: ${(cause as Error).message}`, {
      file: input,
      cause,
    });
  }
}
