/**
 * @module The frame the rules of list-valued extensions share (`x-contains`, `x-nested-filters`): the
 * value is a non-empty list of objects whose keys are known; each entry is then checked by the rule.
 */
import { isObject, type JsonObject, type OperationRef } from './document.js';
import { type Finding, quote } from './rule.js';

/** How one list-valued extension is written. */
export interface ListExtension {
  /** e.g. `x-contains` */
  readonly name: string;
  /** The keys an entry may have. */
  readonly keys: readonly string[];
  /** An example of the extension, for messages. */
  readonly shape: string;
  /** Appended to the advice when the value is not a list, e.g. `, or remove it`. */
  readonly orElse?: string;
}

/** Checks one entry, an object; `here` is its pointer. */
export type EntryCheck = (entry: JsonObject, i: number, here: string) => Finding[];

/**
 * The findings of `op`'s list-valued extension: its frame (a non-empty list, objects, known keys),
 * then what `entries()` finds in each object entry. `entries` is called once, only when the value
 * is a list, so a rule prepares what its entries need (path parameters, the response schema) there.
 * @returns no finding when the operation does not have the extension
 */
export function checkListExtension(
  op: OperationRef,
  ext: ListExtension,
  entries: () => EntryCheck,
): Finding[] {
  const value = op.operation[ext.name];
  if (value === undefined) return [];
  const at = `${op.pointer}/${ext.name}`;
  if (!Array.isArray(value) || value.length === 0) {
    return [
      {
        pointer: at,
        message: `"${ext.name}" of ${op.label} is ${quote(value)}, not a non-empty list. Write ${ext.shape}${ext.orElse ?? ''}.`,
      },
    ];
  }
  const check = entries();
  return value.flatMap((entry, i): Finding[] => {
    const here = `${at}/${i}`;
    if (!isObject(entry)) {
      return [
        {
          pointer: here,
          message: `Entry ${i} of "${ext.name}" of ${op.label} is ${quote(entry)}, not an object. Write ${ext.shape}.`,
        },
      ];
    }
    const unknown = Object.keys(entry)
      .filter((key) => !ext.keys.includes(key))
      .map((key) => ({
        pointer: `${here}/${key}`,
        message: `Entry ${i} of "${ext.name}" of ${op.label} has the unknown key ${quote(key)}; allowed keys: ${ext.keys.map((k) => quote(k)).join(', ')}.`,
      }));
    return [...unknown, ...check(entry, i, here)];
  });
}
