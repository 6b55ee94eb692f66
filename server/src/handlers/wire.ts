/**
 * @module What handlers write to the wire and read from it: the spec's component schemas, `{detail}`
 * errors, times (ISO 8601, epoch seconds) and the coercion of stored JSON and query values.
 */
import type { components } from '../generated/openapi.js';
import { HttpError } from '../generated/server.js';

/** The component schemas of the spec, by name. */
export type Schemas = components['schemas'];

/** Throws `{detail}` with the status (rendered by the generated router). */
export function fail(status: number, detail: string): never {
  throw new HttpError(status, detail);
}

/** ISO 8601 UTC of a timestamp, or null. */
export function iso(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** ISO 8601 UTC of a timestamp that is never null in the schema (the epoch if missing). */
export function isoRequired(d: Date | string | null | undefined): string {
  return iso(d) ?? new Date(0).toISOString();
}

/** Unix epoch seconds of a timestamp, or null. */
export function epoch(d: Date | string | null | undefined): number | null {
  if (d === null || d === undefined) return null;
  const t = (d instanceof Date ? d : new Date(d)).getTime();
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

export type JsonRecord = { [key: string]: unknown };

/** The value if it is a plain JSON object, else null. */
export function asObject(v: unknown): JsonRecord | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : null;
}

/** The value if it is an array, else null. */
export function asArray(v: unknown): unknown[] | null {
  return Array.isArray(v) ? v : null;
}

/** The value if it is a string, else null. */
export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The value as an integer if it is a finite number, else null. */
export function asInteger(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

/** A non-empty string query value, else undefined. */
export function qs(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Parses an ISO 8601 time (with or without timezone; without one it is read as UTC).
 * @throws {HttpError} 400 `Invalid <name> format ...` when malformed
 */
export function parseIsoParam(value: string, name: string): Date {
  const s = /[zZ]|[+-]\d\d:?\d\d$/.test(value) || !/T/.test(value) ? value : `${value}Z`;
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    fail(400, `Invalid ${name} format. Use ISO 8601 format (e.g., '2025-11-19T10:00:00Z'): ${value}`);
  }
  return d;
}
