/** Types of scripts/build.mjs, for the tests that import it. */
import type { BuildOptions } from 'esbuild';

export declare const sdkDir: string;
export declare const entries: { readonly index: string; readonly mocks: string };
export declare const external: readonly string[];
export declare function esbuildOptions(entry: string, options?: { minify?: boolean }): BuildOptions;
export declare function build(): Promise<void>;
