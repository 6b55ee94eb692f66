// @module Loaded into every Node process the tests start (NODE_OPTIONS, set by scripts/test.mjs): the
// WebAssembly of PGlite's PostgreSQL is compiled by Liftoff only. Test processes live seconds, so
// TurboFan re-optimising the whole module in the background costs them ~1.5 s of CPU each and saves
// nothing; the server CLIs the tests spawn get the same. Behaviour is unchanged (a code-tier choice).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
