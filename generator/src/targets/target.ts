/**
 * @module The shape of a target: a name and a function from the context to files.
 */
import type { GeneratorContext, TargetName } from '../context.js';

/** One generated file: a path relative to the output directory and its full text. */
export interface GeneratedFile {
  readonly path: string;
  readonly contents: string;
}

export interface Target {
  readonly name: TargetName;
  generate(ctx: GeneratorContext): GeneratedFile[] | Promise<GeneratedFile[]>;
}

export function defineTarget(target: Target): Target {
  return target;
}
