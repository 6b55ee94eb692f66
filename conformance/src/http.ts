/**
 * @module http — sends one planned request byte for byte with node:http (fetch would normalise the
 * very paths the probes are about), with a per-request timeout and a keep-alive agent.
 */
import http from 'node:http';
import https from 'node:https';
import type { HttpResponse } from './types.js';

export interface RawRequest {
  method: string;
  /** Request target: path + query, sent as is. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  absoluteForm?: boolean;
}

export interface HttpClient {
  send(req: RawRequest): Promise<HttpResponse>;
  close(): void;
  readonly origin: string;
  readonly basePath: string;
}

const MAX_BODY = 1 << 20;

export function createHttpClient(
  baseUrl: string,
  options: { timeoutMs: number; concurrency: number },
): HttpClient {
  const url = new URL(baseUrl);
  const isHttps = url.protocol === 'https:';
  const mod = isHttps ? https : http;
  const agent = new mod.Agent({ keepAlive: true, maxSockets: options.concurrency * 2 });
  const basePath = url.pathname.replace(/\/$/, '');
  return {
    origin: url.origin,
    basePath,
    close: () => agent.destroy(),
    send(req) {
      const started = performance.now();
      const fullPath = basePath + req.path;
      // A keep-alive socket the server closed while idle (uvicorn: 5 s) resets the next request sent on it
      // before the server reads a byte: Node's documented remedy is to send it again
      // (https://nodejs.org/api/http.html#requestreusedsocket). Only that case is retried: the retry may
      // draw another idle socket the server closed too, each such socket is destroyed, so the retries end
      // at the latest on a fresh socket, whose reset is reported.
      const attempt = (): Promise<HttpResponse> =>
        new Promise<HttpResponse>((resolve) => {
          let done = false;
          const finish = (r: Omit<HttpResponse, 'elapsedMs'>) => {
            if (done) return;
            done = true;
            resolve({ ...r, elapsedMs: performance.now() - started });
          };
          let r: http.ClientRequest;
          try {
            r = mod.request({
              protocol: url.protocol,
              hostname: url.hostname,
              port: url.port || (isHttps ? 443 : 80),
              method: req.method,
              path: req.absoluteForm ? `${url.origin}${fullPath}` : fullPath,
              headers: {
                ...req.headers,
                ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
              },
              agent,
              insecureHTTPParser: true,
            });
          } catch (e) {
            finish({ status: 0, headers: {}, body: '', error: `request not sent: ${(e as Error).message}` });
            return;
          }
          r.setTimeout(options.timeoutMs, () => {
            r.destroy(new Error(`timeout after ${options.timeoutMs} ms`));
          });
          r.on('error', (e: NodeJS.ErrnoException) => {
            if (!done && r.reusedSocket && e.code === 'ECONNRESET') {
              done = true;
              resolve(attempt());
              return;
            }
            finish({
              status: 0,
              headers: {},
              body: '',
              error: e.code ? `${e.code}: ${e.message}` : e.message,
            });
          });
          r.on('response', (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size <= MAX_BODY) chunks.push(c);
            });
            res.on('end', () =>
              finish({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
            res.on('error', (e) =>
              finish({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
                error: e.message,
              }),
            );
          });
          if (req.body !== undefined) r.write(req.body);
          r.end();
        });
      return attempt();
    },
  };
}
