/**
 * The in-code migrations, in order. Add a file `NNNN_name.ts` exporting `up` (and `down`) and
 * list it here; names sort lexically, and Kysely refuses to run out-of-order migrations.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_authority.js';
import * as m0003 from './0003_authz.js';
import * as m0004 from './0004_ownership.js';
import * as m0005 from './0005_session_lists.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_authority': m0002,
  '0003_authz': m0003,
  '0004_ownership': m0004,
  '0005_session_lists': m0005,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
