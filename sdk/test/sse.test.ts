/**
 * @module SSE parsing (WHATWG HTML §9.2.6): line ends, comments, multi-line data, and the same events
 * whatever the chunk boundaries — every split point, byte by byte, and inside multi-byte UTF-8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventStream, type ServerSentEvent } from '../src/sse.js';

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function collect(chunks: readonly Uint8Array[]): Promise<ServerSentEvent[]> {
  const out: ServerSentEvent[] = [];
  for await (const ev of parseEventStream(streamOf(chunks))) out.push(ev);
  return out;
}

const bytes = (s: string) => new TextEncoder().encode(s);

const cases: [string, { given: string; want: ServerSentEvent[] }][] = [
  [
    'agno frames (LF)',
    {
      given:
        'event: RunStarted\ndata: {"event":"RunStarted"}\n\nevent: RunContent\ndata: {"content":"hé"}\n\n',
      want: [
        { event: 'RunStarted', data: '{"event":"RunStarted"}' },
        { event: 'RunContent', data: '{"content":"hé"}' },
      ],
    },
  ],
  ['CRLF line ends', { given: 'event: a\r\ndata: 1\r\n\r\n', want: [{ event: 'a', data: '1' }] }],
  [
    'CR line ends',
    {
      given: 'event: a\rdata: 1\r\rdata: 2\r\r',
      want: [
        { event: 'a', data: '1' },
        { event: 'message', data: '2' },
      ],
    },
  ],
  [
    'comments and heartbeats are skipped',
    {
      given: ': heartbeat\n\n:\ndata: x\n: inside\n\n: heartbeat\n\n',
      want: [{ event: 'message', data: 'x' }],
    },
  ],
  [
    'multi-line data joined with LF',
    { given: 'data: a\ndata:b\ndata:  c\n\n', want: [{ event: 'message', data: 'a\nb\n c' }] },
  ],
  [
    'empty data line dispatches an empty event',
    {
      given: 'data\n\ndata:\n\n',
      want: [
        { event: 'message', data: '' },
        { event: 'message', data: '' },
      ],
    },
  ],
  [
    'event without data is not dispatched',
    { given: 'event: ping\n\ndata: 1\n\n', want: [{ event: 'message', data: '1' }] },
  ],
  [
    'id persists, retry per frame, unknown fields ignored',
    {
      given: 'id: 7\nretry: 1500\nfoo: bar\ndata: a\n\ndata: b\n\nid: 8\0\nretry: x\ndata: c\n\n',
      want: [
        { event: 'message', data: 'a', id: '7', retry: 1500 },
        { event: 'message', data: 'b', id: '7' },
        { event: 'message', data: 'c', id: '7' },
      ],
    },
  ],
  ['leading BOM is dropped', { given: '\uFEFFdata: 1\n\n', want: [{ event: 'message', data: '1' }] }],
  [
    'an unterminated last event is discarded',
    { given: 'data: 1\n\ndata: 2\n', want: [{ event: 'message', data: '1' }] },
  ],
  [
    'mixed line ends',
    { given: 'data: a\r\ndata: b\rdata: c\n\r\n', want: [{ event: 'message', data: 'a\nb\nc' }] },
  ],
];

describe('parseEventStream', () => {
  for (const [name, { given, want }] of cases) {
    it(`${name}: one chunk`, async () => {
      assert.deepEqual(await collect([bytes(given)]), want);
    });
    it(`${name}: every two-chunk split and byte by byte`, async () => {
      const all = bytes(given);
      for (let i = 0; i <= all.length; i++) {
        assert.deepEqual(await collect([all.slice(0, i), all.slice(i)]), want, `split at byte ${i}`);
      }
      assert.deepEqual(await collect([...all].map((b) => Uint8Array.of(b))), want, 'byte by byte');
    });
  }

  it('three-way splits of a CRLF stream with multi-byte characters', async () => {
    const all = bytes('event: é\r\ndata: 日本\r\n\r\n: hb\r\ndata: 😀\r\n\r\n');
    const want = [
      { event: 'é', data: '日本' },
      { event: 'message', data: '😀' },
    ];
    for (let i = 0; i <= all.length; i++) {
      for (let j = i; j <= all.length; j++) {
        assert.deepEqual(await collect([all.slice(0, i), all.slice(i, j), all.slice(j)]), want);
      }
    }
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const ev of parseEventStream(body)) {
      assert.equal(ev.data, '1');
      break;
    }
    assert.equal(cancelled, true);
  });

  it('a stream error (abort) propagates', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes('data: 1\n\n'));
        c.error(new DOMException('aborted', 'AbortError'));
      },
    });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const ev of parseEventStream(body)) seen.push(ev.data);
      })(),
      { name: 'AbortError' },
    );
    assert.deepEqual(seen, []);
  });
});
