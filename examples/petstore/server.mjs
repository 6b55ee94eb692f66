#!/usr/bin/env node
/**
 * @module A small petstore API on node:http, written for the generic-profile test: its own JWT check
 * (RS256 with node:crypto) and its own scope table, independent of @agentos/core, so the conformance
 * suite judges code it shares nothing with. `--broken-scope-check` makes it accept a token holding ANY
 * scope of a requirement instead of ALL of them (the bug the suite must catch).
 *
 *   node examples/petstore/server.mjs --public-key pub.pem [--audience petstore] [--port 8080] [--broken-scope-check]
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const API_KEY = 'special-key';

/**
 * Routes under /v1: method, path pattern, and what a bearer token must hold (alternatives of scope
 * sets), written by hand from openapi.yaml. `apiKey: true` also lets the api_key header in.
 */
const ROUTES = [
  { method: 'GET', path: /^\/health$/, public: true, handler: () => [200, { status: 'ok' }] },
  { method: 'GET', path: /^\/pets$/, anyOf: [['read:pets']], handler: listPets },
  { method: 'POST', path: /^\/pets$/, anyOf: [['write:pets', 'read:pets']], body: 'pet', handler: createPet },
  {
    method: 'GET',
    path: /^\/pets\/([^/]+)$/,
    anyOf: [['read:pets']],
    apiKey: true,
    id: true,
    handler: getPet,
  },
  {
    method: 'PUT',
    path: /^\/pets\/([^/]+)$/,
    anyOf: [['write:pets', 'read:pets']],
    id: true,
    body: 'pet',
    handler: updatePet,
  },
  {
    method: 'DELETE',
    path: /^\/pets\/([^/]+)$/,
    anyOf: [['write:pets'], ['admin:store']],
    id: true,
    handler: deletePet,
  },
  {
    method: 'GET',
    path: /^\/store\/inventory$/,
    anyOf: [],
    apiKey: true,
    handler: () => [200, { available: 2 }],
  },
  {
    method: 'POST',
    path: /^\/store\/orders$/,
    anyOf: [['write:orders', 'read:pets']],
    body: 'order',
    handler: placeOrder,
  },
  {
    method: 'GET',
    path: /^\/store\/orders\/([^/]+)$/,
    anyOf: [['read:orders']],
    id: true,
    handler: getOrder,
  },
];

const pets = new Map([
  [1, { id: 1, name: 'Rex', tag: 'dog' }],
  [2, { id: 2, name: 'Tom', tag: 'cat' }],
]);
const orders = new Map([[1, { id: 1, petId: 1, quantity: 1 }]]);
let nextId = 3;

function listPets() {
  return [200, [...pets.values()]];
}
function createPet(_id, body) {
  const pet = { id: nextId++, ...body };
  pets.set(pet.id, pet);
  return [201, pet];
}
function getPet(id) {
  return pets.has(id) ? [200, pets.get(id)] : [404, { code: 404, message: 'Pet not found' }];
}
function updatePet(id, body) {
  if (!pets.has(id)) return [404, { code: 404, message: 'Pet not found' }];
  pets.set(id, { id, ...body });
  return [200, pets.get(id)];
}
function deletePet(id) {
  return pets.delete(id) ? [204, undefined] : [404, { code: 404, message: 'Pet not found' }];
}
function placeOrder(_id, body) {
  const order = { id: nextId++, ...body };
  orders.set(order.id, order);
  return [201, order];
}
function getOrder(id) {
  return orders.has(id) ? [200, orders.get(id)] : [404, { code: 404, message: 'Order not found' }];
}

function validBody(kind, body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be an object';
  if (kind === 'pet') {
    if (typeof body.name !== 'string' || body.name.length === 0) return 'name is required';
    if (Object.keys(body).some((k) => k !== 'name' && k !== 'tag')) return 'unknown property';
  } else {
    if (!Number.isInteger(body.petId) || !Number.isInteger(body.quantity) || body.quantity < 1)
      return 'petId and quantity (≥ 1) are required integers';
  }
  return undefined;
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

/** Verifies an RS256 JWT; returns its claims or a reason. */
function verifyJwt(token, key, audience) {
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'malformed token' };
  let header;
  let claims;
  try {
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
  } catch {
    return { error: 'malformed token' };
  }
  if (header.alg !== 'RS256') return { error: `alg ${JSON.stringify(header.alg)} not accepted` };
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    key,
    Buffer.from(parts[2], 'base64url'),
  );
  if (!ok) return { error: 'bad signature' };
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp + 5 < now) return { error: 'expired' };
  if (typeof claims.nbf === 'number' && claims.nbf - 5 > now) return { error: 'not yet valid' };
  if (audience !== undefined) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(audience)) return { error: 'wrong audience' };
  }
  return { claims };
}

/**
 * Creates the server.
 * @param {{ publicKeyPem: string, audience?: string, brokenScopeCheck?: boolean }} options
 */
export function createPetstoreServer({ publicKeyPem, audience, brokenScopeCheck = false }) {
  const key = createPublicKey(publicKeyPem);
  const holds = (scopes, set) =>
    brokenScopeCheck
      ? set.length === 0 || set.some((s) => scopes.includes(s))
      : set.every((s) => scopes.includes(s));

  return createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(
        status,
        body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      );
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/v1/')) return send(404, { code: 404, message: 'Not found' });
    const path = url.pathname.slice(3);
    const candidates = ROUTES.filter((r) => r.path.test(path));
    if (candidates.length === 0) return send(404, { code: 404, message: 'Not found' });
    const route = candidates.find((r) => r.method === req.method);
    if (!route)
      return send(
        405,
        { code: 405, message: 'Method not allowed' },
        { allow: candidates.map((r) => r.method).join(', ') },
      );

    // Authentication and scopes first: nothing about the request is judged before the caller is known.
    if (!route.public) {
      const apiKeyOk = route.apiKey && req.headers.api_key === API_KEY;
      if (!apiKeyOk) {
        const m = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        const challenge = (error) => ({
          'www-authenticate': `Bearer realm="petstore"${error ? `, error="${error}"` : ''}`,
        });
        if (!m) return send(401, { code: 401, message: 'Authentication required' }, challenge());
        const v = verifyJwt(m[1], key, audience);
        if (v.error)
          return send(401, { code: 401, message: `Invalid token: ${v.error}` }, challenge('invalid_token'));
        const scopes = typeof v.claims.scope === 'string' ? v.claims.scope.split(' ').filter(Boolean) : [];
        if (route.anyOf.length === 0)
          return send(
            401,
            { code: 401, message: 'This operation takes an API key' },
            challenge('invalid_token'),
          );
        if (!route.anyOf.some((set) => holds(scopes, set))) {
          const scope = route.anyOf[0].join(' ');
          return send(
            403,
            {
              code: 403,
              message: `Insufficient scope: needs ${route.anyOf.map((s) => s.join(' ')).join(' or ')}`,
            },
            {
              'www-authenticate': `Bearer realm="petstore", error="insufficient_scope", scope="${scope}"`,
            },
          );
        }
      }
    }

    let id;
    if (route.id) {
      const raw = decodeURIComponent(route.path.exec(path)[1]);
      if (!/^[1-9][0-9]{0,17}$/.test(raw))
        return send(400, { code: 400, message: 'id must be a positive integer' });
      id = Number(raw);
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      if (route.body) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, { code: 400, message: 'body is not JSON' });
        }
        const problem = validBody(route.body, body);
        if (problem) return send(400, { code: 400, message: problem });
      }
      const [status, out] = route.handler(id, body);
      send(status, out);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      'public-key': { type: 'string' },
      audience: { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'broken-scope-check': { type: 'boolean', default: false },
    },
  });
  if (!values['public-key']) {
    console.error('petstore: --public-key <pem> is required');
    process.exit(2);
  }
  const server = createPetstoreServer({
    publicKeyPem: readFileSync(values['public-key'], 'utf8'),
    audience: values.audience,
    brokenScopeCheck: values['broken-scope-check'],
  });
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address();
    console.log(
      `petstore listening on http://${values.host}:${port}/v1${values['broken-scope-check'] ? ' (broken scope check)' : ''}`,
    );
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
