/**
 * @module Reading the run operations' form fields (research §2): booleans sent as `true`/`false`,
 * JSON-encoded fields, `null`/`none` meaning absent, uploaded files, and the human decisions of
 * `continue` (`tools`, `requirements`, `step_requirements`).
 */

import { HttpError } from '../generated/server.js';
import type { RunFileInput, StepDecision, ToolDecision } from '../runtime/types.js';

export type Form = Readonly<Record<string, unknown>>;

/** The body as a form (an absent body is an empty form). */
export function formOf(body: unknown): Form {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Form) : {};
}

const NULLISH = new Set(['null', 'none']);

/** A non-empty string field, else undefined (`null`/`none` count as absent). */
export function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' || NULLISH.has(s.toLowerCase()) ? undefined : v;
}

/** A boolean field: `true`/`false` (any case) or a boolean; anything else is the default. */
export function flag(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return fallback;
}

/** An integer field (a number or a decimal string), else undefined. */
export function integer(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/**
 * A JSON-encoded field: undefined when absent, the parsed value otherwise.
 * @throws {HttpError} 400 `Invalid JSON in <name> field`
 */
export function jsonField(v: unknown, name: string): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (s === '' || NULLISH.has(s.toLowerCase())) return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw new HttpError(400, `Invalid JSON in ${name} field`);
  }
}

/**
 * A JSON object field (`session_state`, `dependencies`, `metadata`).
 * @throws {HttpError} 400 when it is not JSON or not an object
 */
export function jsonObject(v: unknown, name: string): Record<string, unknown> | undefined {
  const parsed = jsonField(v, name);
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, `${name} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * A JSON list field (`tools`, `requirements`, `step_requirements`).
 * @throws {HttpError} 400 `Invalid JSON in <name> field` when it is not a JSON list
 */
export function jsonList(v: unknown, name: string): Record<string, unknown>[] {
  const parsed = jsonField(v, name);
  if (parsed === undefined) return [];
  if (!Array.isArray(parsed)) throw new HttpError(400, `Invalid JSON in ${name} field`);
  return parsed.filter(
    (x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x),
  );
}

const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Agents' `tools`: ToolExecution objects with `confirmed` (and `confirmation_note`, `result`). */
export function toolDecisions(list: readonly Record<string, unknown>[]): ToolDecision[] {
  return list.map((t) => ({
    toolCallId: str(t.tool_call_id),
    confirmed: bool(t.confirmed),
    note: str(t.confirmation_note),
    result: str(t.result),
  }));
}

/** Teams' `requirements` (and a workflow step's `executor_requirements`): RunRequirement objects. */
export function requirementDecisions(list: readonly Record<string, unknown>[]): ToolDecision[] {
  return list.map((r) => {
    const te = obj(r.tool_execution);
    return {
      requirementId: str(r.id),
      toolCallId: str(te?.tool_call_id),
      confirmed: bool(r.confirmation) ?? bool(te?.confirmed),
      note: str(r.confirmation_note) ?? str(te?.confirmation_note),
      result: str(r.external_execution_result) ?? str(te?.result),
    };
  });
}

/** Workflows' `step_requirements`: StepRequirement objects with `confirmed`. */
export function stepDecisions(list: readonly Record<string, unknown>[]): StepDecision[] {
  return list.map((s) => ({
    stepId: str(s.step_id),
    stepIndex: typeof s.step_index === 'number' ? s.step_index : undefined,
    confirmed: bool(s.confirmed),
    note: str(s.confirmation_note),
    executorDecisions: Array.isArray(s.executor_requirements)
      ? requirementDecisions(
          s.executor_requirements.filter((x): x is Record<string, unknown> => obj(x) !== undefined),
        )
      : undefined,
  }));
}

const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/json',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/xml',
]);

interface UploadedFile {
  originalname?: string;
  mimetype?: string;
  size?: number;
}

/**
 * The uploaded files (multipart `files`), classified as image, audio, video or document.
 * @throws {HttpError} 400 `Unsupported file type` for anything else
 */
export function uploadedFiles(req: { files?: unknown }): RunFileInput[] {
  const raw = req.files;
  const list: UploadedFile[] = Array.isArray(raw)
    ? (raw as UploadedFile[])
    : typeof raw === 'object' && raw !== null
      ? Object.values(raw as Record<string, UploadedFile[]>).flat()
      : [];
  return list.map((f) => {
    const mime = (f.mimetype ?? 'application/octet-stream').toLowerCase();
    const kind = mime.startsWith('image/')
      ? 'image'
      : mime.startsWith('audio/')
        ? 'audio'
        : mime.startsWith('video/')
          ? 'video'
          : mime.startsWith('text/') || DOCUMENT_TYPES.has(mime)
            ? 'document'
            : null;
    if (kind === null) throw new HttpError(400, 'Unsupported file type');
    return { filename: f.originalname ?? 'file', mimeType: mime, size: f.size ?? 0, kind };
  });
}
