// A loopback round-robin for the scale-out measure of bench/run.ts: `node bench/rr-proxy.mjs PORT
// BACKEND_PORT...` listens on 127.0.0.1:PORT and pipes each incoming connection to the next
// backend on 127.0.0.1 in turn (connection-level, like a TCP load balancer; keep-alive requests of
// one connection stay on one backend). Loopback only.
import net from 'node:net';

const [port, ...backends] = process.argv.slice(2).map(Number);
if (!port || backends.length === 0) {
  console.error('usage: rr-proxy.mjs PORT BACKEND_PORT...');
  process.exit(2);
}
let next = 0;
const server = net.createServer((client) => {
  const target = backends[next++ % backends.length];
  const upstream = net.connect({ host: '127.0.0.1', port: target });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
