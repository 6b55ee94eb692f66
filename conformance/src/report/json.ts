/** @module report/json — the whole result as JSON (stable keys; tokens never included). */
import { PROBES } from '../probes/catalog.js';
import type { SuiteResult } from '../run.js';

export function renderJson(result: SuiteResult): string {
  return `${JSON.stringify({ ...result, probes: [...PROBES.values()] }, null, 2)}\n`;
}
