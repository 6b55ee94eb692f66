/** @module A module resolve hook (registered by scripts/dev-source.mjs): adds the `@agentos/source` condition. */
const CONDITION = '@agentos/source';

export async function resolve(specifier, context, next) {
  if (context.conditions.includes(CONDITION)) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, CONDITION] });
}
