/** @module The path parameters an operation has: its template's expressions and its declared `in: path` ones. */
import {
  declaredPathParams,
  type OpenAPIDocument,
  type OperationRef,
  pathTemplateParams,
} from './document.js';
import { quote } from './rule.js';

/** Names of the operation's path parameters (template and declarations, deduplicated). */
export function pathParamNames(document: OpenAPIDocument, op: OperationRef): string[] {
  return [
    ...new Set([...pathTemplateParams(op.path), ...declaredPathParams(document, op).map((p) => p.name)]),
  ];
}

/** `"a", "b"` or `none`, for messages. */
export function listNames(names: readonly string[]): string {
  return names.length ? names.map((n) => quote(n)).join(', ') : 'none';
}
