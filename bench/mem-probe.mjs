// Preloaded into a server under test (`node --expose-gc --import bench/mem-probe.mjs …`) by
// bench/harness.ts: answers `{ type: 'agentos-bench-memory?', seq }` on the IPC channel with
// `process.memoryUsage()` taken after a full GC. Does nothing without an IPC channel.
if (typeof process.send === 'function') {
  process.on('message', (msg) => {
    if (msg?.type !== 'agentos-bench-memory?') return;
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    process.send({ type: 'agentos-bench-memory', seq: msg.seq, memory: process.memoryUsage() });
  });
  // The IPC channel must not keep the server alive on its own after SIGTERM.
  process.channel?.unref?.();
}
