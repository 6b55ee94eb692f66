/**
 * @module `agentos-server [--config FILE] [--port N] [--host H]`: a thin CLI over `createAgentOS`.
 * Diagnostics go to stderr; exit code 1 on a configuration or usage error, without a stack.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { createAgentOS, DEFAULT_DATA_DIR, storageFrom } from './app.js';
import { runStrict, usageFor } from './cli-strict.js';
import { ConfigError } from './config/errors.js';
import { findConfigFile, loadConfigFile } from './config/file.js';
import { resolveConfig } from './config/resolve.js';
import { DEMO_AGENTS, DEMO_TEAMS, DEMO_WORKFLOWS } from './demo.js';
import type { AgentOS } from './index.js';
import {
  createEphemeralKeys,
  ephemeralAuthOptions,
  formatBanner,
  mintNewcomerTokens,
  newcomerPlan,
} from './newcomer.js';
import { assertPortAvailable, describeStartupFailure } from './startup-errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new UsageError(`--port must be a port number between 0 and 65535, got "${value}"`);
  return n;
}

/** The ephemeral key's options, with the OS id as the audience the minted tokens carry. */
function newcomerAuth(options: ReturnType<typeof ephemeralAuthOptions>, id: string) {
  return { ...options, authorizationConfig: { ...options.authorizationConfig, audience: id } };
}

export const main = defineCommand({
  meta: {
    name: 'agentos-server',
    version: pkg.version,
    description: 'Run the reference AgentOS server (JWT authentication + RBAC scopes from the OpenAPI spec).',
  },
  args: {
    config: {
      type: 'string',
      valueHint: 'FILE',
      description:
        'Config file (agentos.config.yaml or .json). Default: $AGENTOS_CONFIG, else ./agentos.config.{yaml,yml,json} if present.',
    },
    port: {
      type: 'string',
      valueHint: 'N',
      description: 'Port to listen on. Default: $PORT, the config file, else 7777.',
    },
    host: {
      type: 'string',
      valueHint: 'HOST',
      description: 'Interface to bind. Default: $AGENTOS_HOST, the config file, else 127.0.0.1.',
    },
  },
  async run({ args }) {
    let opened: AgentOS | undefined;
    let target = { port: 0, host: '' };
    try {
      const port = parsePort(args.port);
      const env = process.env;
      const cwd = process.cwd();
      const configFile = findConfigFile(args.config, env, cwd) ?? undefined;
      // A first look at the configuration decides the newcomer defaults; createAgentOS resolves
      // it again with them, so that every message names the real source of each value.
      const file = configFile ? loadConfigFile(resolve(cwd, configFile), env) : null;
      const probe = resolveConfig({ options: {}, file, env, cwd });
      const plan = newcomerPlan({ env, config: probe });
      const keys = plan ? await createEphemeralKeys() : null;
      const demo = probe.agents.length + probe.teams.length + probe.workflows.length === 0;
      target = { port: port ?? probe.port, host: args.host ?? probe.host };
      // Before the database opens (seconds for an embedded one): a taken port fails at once.
      await assertPortAvailable(target.port, target.host);
      const os = await createAgentOS({
        configFile,
        env,
        storage: storageFrom({}, env, DEFAULT_DATA_DIR),
        scheduler: !['0', 'false', 'off', 'no'].includes((env.AGENTOS_SCHEDULER ?? '').toLowerCase()),
        ...(keys ? newcomerAuth(ephemeralAuthOptions(keys), probe.id) : {}),
        ...(demo ? { agents: DEMO_AGENTS, teams: DEMO_TEAMS, workflows: DEMO_WORKFLOWS } : {}),
      });
      opened = os;
      const server = await os.listen(port ?? os.config.port, args.host ?? os.config.host);
      const address = server.address();
      const where =
        typeof address === 'object' && address
          ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
          : String(address);
      os.logger.info(
        { id: os.config.id, auth: os.config.auth.mode, configFile: configFile ?? null },
        `AgentOS "${os.config.id}" listening on ${where} (auth: ${os.config.auth.mode})`,
      );
      if (demo) os.logger.info('no agents, teams or workflows configured: serving the demo ones');
      if (keys && plan) {
        const base = where.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
        const tokens = await mintNewcomerTokens({
          keys,
          audience: os.config.id,
          agentId: os.config.agents[0]?.id,
          adminScope: os.config.auth.adminScope,
        });
        os.logger.info(
          `newcomer mode: ${plan.reason}; using an ephemeral RS256 key (AGENTOS_DEV=0 turns this off)`,
        );
        process.stderr.write(formatBanner({ baseUrl: base, ...tokens }));
      }
      void os.verifier.warmUp();
      const stop = (signal: string) => {
        os.logger.info(`received ${signal}, shutting down`);
        void os.close().then(() => {
          process.exitCode = 0;
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (e) {
      // Release the database, timers and sockets, so a failed start exits at once.
      await opened?.close().catch(() => undefined);
      const expected = describeStartupFailure(e, target);
      if (expected) {
        process.stderr.write(`agentos-server: ${expected.message}\n`);
        process.exitCode = 1;
        return;
      }
      if (e instanceof UsageError) {
        process.stderr.write(`${await usageFor(main, process.stderr)}\n\nerror: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      if (e instanceof ConfigError) {
        process.stderr.write(`agentos-server: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stderr.write(`agentos-server: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
});

await runStrict(main, process.argv.slice(2), { name: 'agentos-server', options: ['config', 'port', 'host'] });
