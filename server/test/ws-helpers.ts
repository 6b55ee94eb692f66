/**
 * @module A WebSocket test client over a real socket (the `ws` package): frames are queued as
 * they arrive and read with `next(predicate)`; the close code and reason are recorded.
 */
import WebSocket from 'ws';

// biome-ignore lint/suspicious/noExplicitAny: frames are read loosely in tests.
export type Frame = Record<string, any>;

export interface TestSocket {
  readonly ws: WebSocket;
  /** Sends a JSON message. */
  send(message: unknown): void;
  /** The next frame (matching `predicate`, skipping others), or a rejection after `timeoutMs`. */
  next(predicate?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Frames until one matches `until` (included). */
  until(until: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame[]>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Opens `ws://…/workflows/ws` and waits for the `connected` frame (returned as `hello`). */
export async function openSocket(
  base: string,
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<TestSocket & { hello: Frame }> {
  const url = `${base.replace(/^http/, 'ws')}${options.path ?? '/workflows/ws'}`;
  const ws = new WebSocket(url, { headers: options.headers });
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Frame;
    const i = waiters.findIndex((w) => w.pred(f));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(f);
    else frames.push(f);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const next = (predicate: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> => {
    const i = frames.findIndex(predicate);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        pred: predicate,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; queued: ${JSON.stringify(frames)}`));
      }, timeoutMs);
      waiters.push(w);
    });
  };
  const socket: TestSocket = {
    ws,
    send: (m) => ws.send(JSON.stringify(m)),
    next,
    async until(until, timeoutMs = 10_000) {
      const out: Frame[] = [];
      for (;;) {
        const f = await next(() => true, timeoutMs);
        out.push(f);
        if (until(f)) return out;
      }
    },
    closed,
    close: () => ws.close(),
  };
  const hello = await next((f) => f.event === 'connected');
  return { ...socket, hello };
}
