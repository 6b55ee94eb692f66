/**
 * @module errors — the suite's own failures (not the target's): bad options, unreadable spec or key,
 * unreachable target. The CLI maps every `HarnessError` to exit code 3.
 */
export type HarnessErrorCode =
  | 'ERR_OPTIONS'
  | 'ERR_SPEC'
  | 'ERR_KEY'
  | 'ERR_CONFIG'
  | 'ERR_TARGET_UNREACHABLE'
  | 'ERR_TARGET_REJECTS_TOKENS'
  | 'ERR_EXPECT_FILE'
  | 'ERR_TARGET_SPEC';

export class HarnessError extends Error {
  override name = 'HarnessError';
  readonly code: HarnessErrorCode;
  constructor(code: HarnessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
