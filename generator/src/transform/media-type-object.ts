/**
 * @module Media Type Object (OpenAPI 3.1 §4.8.14): its kind for the targets and its first example.
 */
import type { MediaKind, MediaTypeModel } from '../model.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

/** How targets treat a media type (`application/problem+json` is JSON, `multipart/mixed` is multipart). */
export function mediaKind(mediaType: string): MediaKind {
  const base = mediaType.split(';')[0]!.trim().toLowerCase();
  if (base === 'application/json' || base.endsWith('+json')) return 'json';
  if (base === 'text/event-stream') return 'sse';
  if (base === 'application/x-www-form-urlencoded') return 'form';
  if (base.startsWith('multipart/')) return 'multipart';
  if (base.startsWith('text/')) return 'text';
  return 'binary';
}

/**
 * The first example the document gives for a media type: the media type's `example`, else the
 * first of its `examples` (Example Object `value`, §4.8.19), else the schema's first `examples`
 * entry or `example`.
 */
function firstExample(
  ctx: TransformContext,
  media: Record<string, unknown>,
  at: string,
): { value: unknown } | undefined {
  if ('example' in media) return { value: media.example };
  if (isObject(media.examples)) {
    for (const [name, raw] of Object.entries(media.examples)) {
      const { value } = resolveReference(ctx, raw, `${at}/examples/${name}`);
      if (isObject(value) && 'value' in value) return { value: value.value };
    }
  }
  if (media.schema !== undefined) {
    const { value: schema } = resolveReference(ctx, media.schema, `${at}/schema`);
    if (isObject(schema)) {
      if (Array.isArray(schema.examples) && schema.examples.length > 0) return { value: schema.examples[0] };
      if ('example' in schema) return { value: schema.example };
    }
  }
  return undefined;
}

/** Transforms the `content` map of a Request Body or Response Object, in document order. */
export function transformContent(ctx: TransformContext, content: unknown, at: string): MediaTypeModel[] {
  if (!isObject(content)) return [];
  return Object.entries(content).map(([mediaType, raw]) => {
    const here = `${at}/content/${mediaType.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const media = isObject(raw) ? raw : {};
    return {
      mediaType,
      kind: mediaKind(mediaType),
      schema: media.schema,
      example: firstExample(ctx, media, here),
      pointer: here,
    };
  });
}
