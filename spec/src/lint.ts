/**
 * @module The contract lint: the OpenAPI 3.1 schema check (swagger-parser), then the AgentOS rules of
 * design.md "The contract vocabulary" on the un-dereferenced document; each finding located in the
 * YAML sources (`file:line:column`) as well as by JSON pointer.
 */
import { resolve } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { listSpecSources, specSourcesPath } from './bundle.js';
import { listOperations, type OpenAPIDocument } from './lib/document.js';
import { loadPositionIndex, type PositionIndex } from './lib/positions.js';
import { type LintRuleId, quote } from './lib/rule.js';
import { adminScopes } from './lib/scope.js';
import { loadSpec, specPath } from './load.js';
import { genericRules } from './rules/generic.js';
import { rules } from './rules/index.js';

export type { LintRuleId } from './lib/rule.js';

/** One lint finding. */
export interface LintMessage {
  /** Stable kebab-case id of the rule, e.g. `scope-malformed`. */
  rule: LintRuleId;
  /** JSON pointer (RFC 6901) to the faulty value, or to the object that lacks a field. */
  pointer: string;
  /** What failed, why, and how to fix it. */
  message: string;
  /** The source file that wrote the faulty value (or its nearest written ancestor), when known. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
}

export interface LintOptions {
  /**
   * YAML/JSON files the document was written in, the root (`index.yaml`) first, for
   * `file:line:column` positions. Default: for the bundled AgentOS spec ({@link specPath}) its
   * sources (`spec/src/openapi/index.yaml`, `paths/*.yaml`); for another path, that file; for a
   * parsed document, none (findings carry their pointer only).
   */
  sources?: readonly string[];
  /**
   * `agentos` (default): the AgentOS contract, OpenAPI 3.1, `x-required-scopes` on every operation.
   * `generic`: any OpenAPI 3.0 or 3.1 API whose operations state their scopes with standard
   * `security` (see `rules/generic.ts`).
   */
  profile?: LintProfile;
}

/** Which rules a document is held to. */
export type LintProfile = 'agentos' | 'generic';

export interface LintResult {
  errors: LintMessage[];
  warnings: LintMessage[];
}

/**
 * Lints an OpenAPI 3.1 document against the AgentOS contract.
 *
 * @param input a parsed document (not modified) or the path of a YAML/JSON file.
 * @param options `sources` for positions (see {@link LintOptions})
 * @returns errors (the document breaks the contract) and warnings; both empty when clean.
 * @throws {SpecError} when `input` is a path that cannot be read or parsed.
 * @see design.md "The contract vocabulary"
 * @example
 * const { errors } = await lintSpec(specPath);
 * if (errors.length) process.exitCode = 1;
 */
export async function lintSpec(
  input: OpenAPIDocument | string,
  options: LintOptions = {},
): Promise<LintResult> {
  const document = typeof input === 'string' ? await loadSpec(input) : input;
  const result = await lintDocument(input, document, options.profile ?? 'agentos');
  const sources = options.sources ?? (typeof input === 'string' ? await defaultSources(input) : []);
  if (sources.length > 0) {
    let index: PositionIndex | undefined;
    try {
      index = await loadPositionIndex(sources);
    } catch {
      // Positions are an aid: a source that cannot be read leaves the pointers alone.
      index = undefined;
    }
    if (index)
      for (const m of [...result.errors, ...result.warnings]) Object.assign(m, index.locate(m.pointer));
  }
  return result;
}

async function defaultSources(file: string): Promise<string[]> {
  return resolve(file) === resolve(specPath) ? listSpecSources(specSourcesPath) : [file];
}

async function lintDocument(
  input: OpenAPIDocument | string,
  document: OpenAPIDocument,
  profile: LintProfile,
): Promise<LintResult> {
  const result: LintResult = { errors: [], warnings: [] };

  const version = document.openapi;
  if (profile === 'generic' && (typeof version !== 'string' || !/^3\.[01]\.\d+$/.test(version))) {
    result.errors.push({
      rule: 'openapi-version',
      pointer: '/openapi',
      message: `"openapi" is ${quote(version)}: agentos-spec lints OpenAPI 3.0 and 3.1 documents (swagger-parser cannot validate 3.2 yet; convert Swagger 2.0 first).`,
    });
    return result;
  }
  if (profile === 'agentos' && (typeof version !== 'string' || !/^3\.1\.\d+$/.test(version))) {
    result.errors.push({
      rule: 'openapi-version',
      pointer: '/openapi',
      message:
        `"openapi" is ${quote(version)}: agentos-spec lints OpenAPI 3.1 documents only (3.0 differs in ` +
        'schemas and security, and swagger-parser cannot validate 3.2 yet). Write `openapi: 3.1.0`; for an ' +
        'API outside the AgentOS contract, lint with `--profile generic` (OpenAPI 3.0 and 3.1).',
    });
    return result;
  }

  // validate() dereferences its argument in place: give it the path or a copy, never the caller's object.
  result.errors.push(
    ...(await validateSchema(typeof input === 'string' ? input : structuredClone(document), document)),
  );

  const context = { document, operations: listOperations(document), adminScopes: adminScopes(document) };
  for (const rule of profile === 'generic' ? genericRules : rules) {
    for (const { severity, pointer, message } of rule.check(context)) {
      (severity === 'warning' ? result.warnings : result.errors).push({ rule: rule.id, pointer, message });
    }
  }
  return result;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Runs swagger-parser's OpenAPI 3.0/3.1 JSON-schema check; its "spec" check is a no-op for 3.x. */
async function validateSchema(
  api: OpenAPIDocument | string,
  document: OpenAPIDocument,
): Promise<LintMessage[]> {
  try {
    await SwaggerParser.validate(api as never);
    return [];
  } catch (error) {
    const err = error as Error & { details?: AjvError[]; parentPath?: unknown };
    if (Array.isArray(err.details)) {
      return (
        err.details
          // `if`/`then`/`else` failures repeat the error of the branch that failed.
          .filter((d) => d.keyword !== 'if')
          .map((d) => ({
            rule: 'openapi-schema',
            pointer: d.instancePath,
            message: describeAjvError(d, String(document.openapi).slice(0, 3)),
          }))
      );
    }
    const ref = typeof err.parentPath === 'string' ? err.parentPath.split('#')[1] : undefined;
    return [
      {
        rule: 'openapi-schema',
        pointer: ref === undefined ? '' : `${ref}/$ref`,
        message: `swagger-parser cannot resolve the document: ${err.message}`,
      },
    ];
  }
}

function describeAjvError(d: AjvError, version: string): string {
  if (d.keyword === 'unevaluatedProperties' || d.keyword === 'additionalProperties') {
    const key = d.params.unevaluatedProperty ?? d.params.additionalProperty;
    return (
      `Unknown property ${quote(key)}: the OpenAPI ${version} schema does not allow it here. ` +
      'Remove or rename it (extensions must start with "x-").'
    );
  }
  if (d.keyword === 'required') {
    return `Missing property ${quote(d.params.missingProperty)}, which the OpenAPI ${version} schema requires here. Add it.`;
  }
  return `Does not match the OpenAPI ${version} schema: ${d.message ?? d.keyword} ${quote(d.params)}.`;
}
