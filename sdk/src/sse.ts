/**
 * @module A Server-Sent Events parser over a fetch body stream, following the WHATWG HTML
 * "event stream interpretation" (§9.2.6): CR, LF and CRLF line ends, `:` comment lines (heartbeats),
 * multi-line `data`, `id` and `retry`, and chunk boundaries anywhere, even inside a UTF-8 sequence or
 * between the CR and LF of one line end. `EventSource` cannot send `Authorization`, hence fetch.
 */

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event` field, `message` when the frame has none. */
  readonly event: string;
  /** The `data` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen so far in the stream (`id` field), if any. */
  readonly id?: string;
  /** The `retry` field of this frame, in milliseconds. */
  readonly retry?: number;
}

/**
 * Reads a `text/event-stream` body and yields its events. Breaking out of the loop cancels the
 * stream; aborting `signal` cancels it too and rejects with the signal's reason (an `AbortError`).
 * @param body the response body (`response.body`)
 * @param signal optional; also pass it to fetch so that the connection closes
 * @example
 * for await (const ev of parseEventStream(response.body!)) console.log(ev.event, JSON.parse(ev.data));
 */
export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  // Not every fetch ties the body to the request's signal (mocks, polyfills): cancel it ourselves.
  const onAbort = () => reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort);
  // TextDecoder drops a leading BOM (ignoreBOM: false), as §9.2.6 requires.
  const decoder = new TextDecoder();
  let buf = '';
  let data: string | undefined;
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const cr = buf.indexOf('\r', start);
        const lf = buf.indexOf('\n', start);
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        // A CR as the last character may be the first half of a CRLF split across chunks.
        if (end === -1 || (end === cr && end === buf.length - 1 && !done)) break;
        const line = buf.slice(start, end);
        start = end + (end === cr && buf.charCodeAt(end + 1) === 10 ? 2 : 1);
        if (line === '') {
          if (data !== undefined) {
            yield {
              event: event || 'message',
              data: data.endsWith('\n') ? data.slice(0, -1) : data,
              ...(id !== undefined && { id }),
              ...(retry !== undefined && { retry }),
            };
          }
          data = undefined;
          event = '';
          retry = undefined;
          continue;
        }
        const colon = line.indexOf(':');
        if (colon === 0) continue; // comment, e.g. `: heartbeat`
        const field = colon === -1 ? line : line.slice(0, colon);
        let val = colon === -1 ? '' : line.slice(colon + 1);
        if (val.charCodeAt(0) === 32) val = val.slice(1);
        if (field === 'data') data = (data ?? '') + val + '\n';
        else if (field === 'event') event = val;
        else if (field === 'id') {
          if (!val.includes('\0')) id = val;
        } else if (field === 'retry' && /^\d+$/.test(val)) retry = Number(val);
      }
      buf = buf.slice(start);
      // §9.2.6: at end of stream an event without its terminating blank line is discarded.
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Releases the connection when the consumer stops early (break, return, throw).
    reader.cancel().catch(() => {});
  }
}
