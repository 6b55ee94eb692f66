/** Types of scripts/size.mjs, for the tests that import it. */
export interface EntrySize {
  readonly raw: number;
  readonly min: number;
  readonly gzip: number;
}
export declare const BUDGET: number;
export declare function measure(): Promise<{ readonly index: EntrySize; readonly mocks: EntrySize }>;
