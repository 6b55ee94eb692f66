/**
 * @module Entry point of the `agentos-gen` binary (bin/agentos-gen.js imports it).
 */
import { main } from './command.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Unexpected: a bug, not a bad document. Print everything.
  console.error(error);
  process.exitCode = 1;
}
