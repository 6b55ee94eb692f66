/**
 * @module Lint results as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for code
 * scanning UIs: one run, every rule in `tool.driver.rules`, each finding a `result` with its source
 * region (`file:line:column`) when known and its JSON pointer as a logical location.
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LintRuleId } from './lib/rule.js';
import type { LintMessage, LintResult } from './lint.js';
import { genericRules } from './rules/generic.js';
import { rules } from './rules/index.js';

/** The rules of the OpenAPI schema check, which come from swagger-parser rather than `rules/`. */
const SCHEMA_RULES: readonly { id: LintRuleId; description: string }[] = [
  { id: 'openapi-version', description: 'The document is OpenAPI 3.1.' },
  { id: 'openapi-schema', description: 'The document validates against the OpenAPI 3.1 JSON schema.' },
];

/** Every rule the lint can report, in report order. */
export function lintRuleDescriptors(): readonly { id: LintRuleId; description: string }[] {
  const all = [...rules, ...genericRules.filter((g) => !rules.includes(g))];
  return [...SCHEMA_RULES, ...all.map(({ id, description }) => ({ id, description }))];
}

export interface SarifOptions {
  /** `tool.driver.version`. */
  toolVersion: string;
  /** Directory file URIs are made relative to (`%SRCROOT%`). Default: the working directory. */
  baseDir?: string;
  /** The linted document, for findings without a source position. */
  document?: string;
}

/** A SARIF 2.1.0 log (the subset this tool writes). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: unknown[];
}

/**
 * Converts a lint result to a SARIF 2.1.0 log.
 * @example process.stdout.write(JSON.stringify(toSarif(await lintSpec(file), { toolVersion: '0.1.0' })));
 */
export function toSarif(result: LintResult, options: SarifOptions): SarifLog {
  const base = options.baseDir ?? process.cwd();
  const descriptors = lintRuleDescriptors();
  const indexOf = new Map(descriptors.map((d, i) => [d.id, i]));
  const uri = (file: string) => {
    const rel = relative(base, file);
    return rel && !rel.startsWith('..') && !isAbsolute(rel)
      ? { uri: rel.split(sep).join('/'), uriBaseId: '%SRCROOT%' }
      : { uri: pathToFileURL(file).href };
  };
  const toResult = (m: LintMessage, level: 'error' | 'warning') => {
    const file = m.file ?? options.document;
    return {
      ruleId: m.rule,
      ruleIndex: indexOf.get(m.rule) ?? -1,
      level,
      message: { text: m.message },
      locations: [
        {
          ...(file
            ? {
                physicalLocation: {
                  artifactLocation: uri(file),
                  ...(m.line !== undefined
                    ? {
                        region: {
                          startLine: m.line,
                          ...(m.column !== undefined ? { startColumn: m.column } : {}),
                        },
                      }
                    : {}),
                },
              }
            : {}),
          logicalLocations: [{ fullyQualifiedName: m.pointer || '/', kind: 'member' }],
        },
      ],
      properties: { pointer: m.pointer },
    };
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agentos-spec',
            version: options.toolVersion,
            rules: descriptors.map((d) => ({
              id: d.id,
              name: d.id,
              shortDescription: { text: d.description },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        originalUriBaseIds: {
          '%SRCROOT%': { uri: pathToFileURL(base.endsWith(sep) ? base : base + sep).href },
        },
        results: [
          ...result.errors.map((m) => toResult(m, 'error')),
          ...result.warnings.map((m) => toResult(m, 'warning')),
        ],
      },
    ],
  };
}
