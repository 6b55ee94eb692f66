import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { createHttpClient } from '../src/http.js';

/**
 * A raw HTTP/1.1 server that answers the first request on each connection and resets (TCP RST) the
 * connection when a later request arrives on it: what uvicorn's idle keep-alive close looks like to a
 * client that reuses the socket at that moment. `resetFirst` resets even the first request.
 */
async function resettingServer(resetFirst: boolean) {
  const seen = { connections: 0, requests: 0 };
  const server = net.createServer((socket) => {
    seen.connections++;
    let onThisSocket = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        seen.requests++;
        onThisSocket++;
        if (resetFirst || onThisSocket > 1) {
          socket.resetAndDestroy();
          return;
        }
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { seen, base: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe('http client: a keep-alive socket reset by the server', () => {
  const closers: Array<() => void> = [];
  after(() => {
    for (const c of closers) c();
  });

  test('a request reset on a reused socket is sent again on a fresh one', async () => {
    const srv = await resettingServer(false);
    const client = createHttpClient(srv.base, { timeoutMs: 5000, concurrency: 1 });
    closers.push(srv.close, () => client.close());
    const first = await client.send({ method: 'GET', path: '/a', headers: {} });
    assert.equal(first.status, 200);
    const second = await client.send({ method: 'POST', path: '/b', headers: {}, body: '{}' });
    assert.equal(second.status, 200, `second request: ${second.error ?? ''}`);
    assert.equal(second.body, 'ok');
    assert.equal(srv.seen.connections, 2);
    assert.equal(srv.seen.requests, 3);
  });

  test('several idle sockets the server closed: the retries draw them in turn, then a fresh one', async () => {
    const srv = await resettingServer(false);
    const client = createHttpClient(srv.base, { timeoutMs: 5000, concurrency: 2 });
    closers.push(srv.close, () => client.close());
    const firsts = await Promise.all(
      ['/a', '/b', '/c'].map((path) => client.send({ method: 'GET', path, headers: {} })),
    );
    assert.deepEqual(
      firsts.map((r) => r.status),
      [200, 200, 200],
    );
    assert.equal(srv.seen.connections, 3);
    const next = await client.send({ method: 'POST', path: '/d', headers: {}, body: '{}' });
    assert.equal(next.status, 200, `after the idle sockets: ${next.error ?? ''}`);
    assert.equal(srv.seen.connections, 4);
    assert.equal(srv.seen.requests, 7);
  });

  test('a reset on a fresh socket is reported, not retried', async () => {
    const srv = await resettingServer(true);
    const client = createHttpClient(srv.base, { timeoutMs: 5000, concurrency: 1 });
    closers.push(srv.close, () => client.close());
    const res = await client.send({ method: 'GET', path: '/a', headers: {} });
    assert.equal(res.status, 0);
    assert.match(res.error ?? '', /ECONNRESET/);
    assert.equal(srv.seen.requests, 1);
  });
});
