/**
 * @module The boot check of the generated artefacts: `server/src/generated` must have been
 * generated from the spec this server ships with (`@agentos/spec`'s `agentos.openapi.yaml`), or the
 * route table and the validator could disagree with the contract the server claims to serve. A
 * mismatch refuses to start, naming both hashes and the command that fixes it (the msw
 * `mockServiceWorker.js` integrity check, style.md "Generated code").
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The provenance the generator writes into `routes.ts` (`generated`). */
export interface GeneratedStamp {
  readonly generator: string;
  readonly version: string;
  readonly spec: string;
  /** First 16 hex digits of the sha256 of the spec's bytes. */
  readonly sha256: string;
}

/** Code of the error `checkGeneratedStamp` throws. */
export const ERR_GENERATED_STALE = 'ERR_GENERATED_STALE';

/** The generated table does not come from the spec the server ships with. */
export class GeneratedStaleError extends Error {
  override readonly name = 'GeneratedStaleError';
  readonly code = ERR_GENERATED_STALE;
}

/** The spec document of `@agentos/spec`, the one `npm run generate` reads. */
export function defaultSpecFile(): string {
  return fileURLToPath(import.meta.resolve('@agentos/spec/agentos.openapi.yaml'));
}

/**
 * Checks that the generated table was generated from `specFile`.
 * @throws {GeneratedStaleError} on a hash mismatch; {Error} when the spec cannot be read
 * @example checkGeneratedStamp(generated, defaultSpecFile())
 */
export function checkGeneratedStamp(stamp: GeneratedStamp, specFile: string): void {
  const sha256 = createHash('sha256').update(readFileSync(specFile)).digest('hex').slice(0, 16);
  if (sha256 === stamp.sha256) return;
  throw new GeneratedStaleError(
    `The generated route table (server/src/generated, ${stamp.generator} ${stamp.version} from ${stamp.spec} ` +
      `sha256:${stamp.sha256}) does not match the spec ${specFile} (sha256:${sha256}): the server would ` +
      'enforce a different contract than the one it publishes. Run `npm run generate` (or `agentos-gen ' +
      '--spec <spec> --out server/src/generated --targets scopes,types,server`) and restart.',
  );
}
