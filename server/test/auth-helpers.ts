/**
 * @module Test helpers for the auth and config tests: keys, token minting (valid and forged),
 * a frozen clock, the route table of the bundled spec, an in-process server on 127.0.0.1:0 with
 * spy handlers, and raw HTTP requests (no client-side URL normalisation).
 */

import { createHash, createHmac, sign as cryptoSign, KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after } from 'node:test';
import type { CallerContext, RouteSpec } from '@agentos/core';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import pino, { type Logger } from 'pino';
import { type AgentOS, type CreateAgentOSOptions, createAgentOS } from '../src/app.js';
import type { OperationHandler } from '../src/config/options.js';
import { type Database, openDatabase } from '../src/db/index.js';
import { routes as generatedRoutes } from '../src/generated/routes.js';

/** The frozen "now" of every test: 2027-01-15T08:00:00Z. */
export const NOW = 1_800_000_000;
export const clock = () => new Date(NOW * 1000);

export const ISSUER_KID = 'test-key-1';

/** A signing key pair with its public forms. */
export interface TestKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicPem: string;
  readonly publicJwk: JWK;
}

export async function makeKey(alg: string, options: { modulusLength?: number } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return {
    alg,
    privateKey,
    publicKey,
    publicPem: await exportSPKI(publicKey),
    publicJwk: await exportJWK(publicKey),
  };
}

export const HS_SECRET = 'a-very-long-secret-key-at-least-256-bits-long';

/** Default claims of a valid token at NOW. */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'user_123', iat: NOW, exp: NOW + 3600, ...extra };
}

/** Signs claims with jose (any header fields allowed). */
export async function sign(
  payload: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown> & { alg: string },
): Promise<string> {
  return new SignJWT(payload as never).setProtectedHeader(header as never).sign(key);
}

const b64url = (v: string | Uint8Array) => Buffer.from(v).toString('base64url');

/** A compact token built by hand from header, payload and signature (for forgeries). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/** RS256 over a hand-built header and payload (payload as an object, a JSON string, or raw bytes). */
export function rs256(header: unknown, payload: unknown, privateKey: CryptoKey): string {
  const body =
    payload instanceof Uint8Array
      ? b64url(payload)
      : b64url(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const input = `${b64url(JSON.stringify(header))}.${body}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), KeyObject.from(privateKey)).toString('base64url')}`;
}

/** HMAC-SHA256 over `header.payload` with arbitrary key bytes (key-confusion forgeries). */
export function hs256(header: unknown, payload: unknown, key: string | Uint8Array): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** What a spy handler saw. */
export interface Call {
  readonly operationId: string;
  readonly caller: CallerContext;
  readonly path: Readonly<Record<string, unknown>>;
}

/** JSON form of a caller (sets as sorted arrays). */
export function callerJson(c: CallerContext) {
  return {
    ...c,
    accessibleIds: c.accessibleIds instanceof Set ? [...c.accessibleIds].sort() : c.accessibleIds,
  };
}

/** Handlers for every operation that record the call and echo the caller. */
export function spyHandlers(routes: readonly RouteSpec[], calls: Call[]): Record<string, OperationHandler> {
  const out: Record<string, OperationHandler> = {};
  for (const r of routes) {
    out[r.operationId] = (request) => {
      calls.push({ operationId: r.operationId, caller: request.caller, path: request.path });
      return {
        status: 200,
        body: { operationId: r.operationId, path: request.path, caller: callerJson(request.caller) },
      };
    };
  }
  return out;
}

/** A logger writing JSON lines into an array (for log assertions). */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      const s = chunk.toString();
      chunks.push(s);
      for (const l of s.split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, text: () => chunks.join('') };
}

export const silent = () => pino({ level: 'silent' });

let shared: Promise<Database> | undefined;
/** The in-memory database the servers of this test process share, closed after the file's tests. */
export function sharedDatabase(): Promise<Database> {
  if (!shared) {
    shared = openDatabase({ memory: true });
    // PGlite keeps the event loop alive: without this the test file never exits.
    after(async () => (await shared)?.close());
  }
  return shared;
}

/** A running test server. */
export interface TestServer {
  readonly os: AgentOS;
  readonly base: string;
  readonly port: number;
  readonly calls: Call[];
  close(): Promise<void>;
}

/**
 * Starts an AgentOS on 127.0.0.1:0 as shipped (generated route table and router, request
 * validation included) with spy handlers (unless `spy` is false), an empty environment, a silent
 * logger and the frozen clock.
 */
export async function startServer(options: CreateAgentOSOptions = {}, spy = true): Promise<TestServer> {
  const routes = options.routeTable ?? generatedRoutes;
  const calls: Call[] = [];
  const os = await createAgentOS({
    env: {},
    logger: silent(),
    clock,
    // One in-memory database per test process: opening PGlite costs about a second.
    ...(options.storage ? {} : { database: await sharedDatabase() }),
    // The real handlers' answers are checked against the spec (spy answers are not spec-shaped).
    validateResponses: !spy,
    ...options,
    handlers: { ...(spy ? spyHandlers(routes, calls) : {}), ...options.handlers },
  });
  const server = await os.listen(0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  return { os, base: `http://127.0.0.1:${port}`, port, calls, close: () => os.close() };
}

/** An answer, with the body parsed as JSON when it is JSON. */
export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely.
  readonly body: any;
}

/** A request sent as is: the path is not normalised, headers may repeat (pass an array of pairs). */
export function request(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> | [string, string][] = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
    // With raw header pairs Node adds no Host header: add it unless the test sets one.
    if (!pairs.some(([k]) => k.toLowerCase() === 'host')) pairs.unshift(['host', `127.0.0.1:${port}`]);
    const flat = pairs.flat();
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      headers: flat as unknown as http.OutgoingHttpHeaders,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A raw HTTP/1.1 request over a socket (request line and headers exactly as given). */
export function rawHttp(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.on('error', reject);
  });
}

/** `Authorization: Bearer <token>`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** WWW-Authenticate values of the contract. */
export const CHALLENGE = {
  missing: 'Bearer realm="agentos"',
  invalid: 'Bearer realm="agentos", error="invalid_token"',
  request: 'Bearer realm="agentos", error="invalid_request"',
  scope: (...scopes: string[]) =>
    `Bearer realm="agentos", error="insufficient_scope", scope="${scopes.join(' ')}"`,
};

/** A short fingerprint for test names. */
export const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
