#!/usr/bin/env node
// Checks what hadolint does not: compose.yaml against the Compose Specification JSON schema, the
// promises the Dockerfiles make (final stage non-root, HEALTHCHECK on the server, exec-form
// ENTRYPOINT, no `latest`), and action.yml (composite, every input it reads declared, the script it
// runs present). Usage: node scripts/check-containers.mjs <compose-spec.json> [<tools node_modules>]
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const [schemaFile, toolsModules] = process.argv.slice(2);
const problems = [];
const fail = (file, message) => problems.push(`${file}: ${message}`);

// Compose: the schema, then the files it names.
{
  const require = createRequire(join(toolsModules ?? join(root, 'node_modules'), 'noop.js'));
  const Ajv = require('ajv/dist/2019').default; // the Compose schema is draft 2019-09
  const addFormats = require('ajv-formats').default;
  // The Compose-specific formats (ports, expose, subnets) are left unchecked rather than logged.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  // Compose durations are Go durations ("5s", "1m30s"), not ISO 8601 ones.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  // The schema names the draft as "http://…/2019-09/schema#"; Ajv registers it as https, without "#".
  if (/2019-09/.test(schema.$schema ?? '')) schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  // Draft-04 style "id" strings ("#/properties/services") are labels only: Ajv 8 refuses them.
  const dropIds = (node) => {
    if (Array.isArray(node)) node.forEach(dropIds);
    else if (node && typeof node === 'object') {
      if (typeof node.id === 'string') delete node.id;
      Object.values(node).forEach(dropIds);
    }
  };
  dropIds(schema);
  const validate = ajv.compile(schema);
  const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'));
  if (!validate(compose))
    for (const e of validate.errors)
      fail('compose.yaml', `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    const df = service.build?.dockerfile;
    if (df && !existsSync(join(root, service.build.context ?? '.', df)))
      fail('compose.yaml', `service ${name} builds ${df}, which does not exist`);
    for (const [dep, cond] of Object.entries(service.depends_on ?? {}))
      if (
        cond?.condition === 'service_healthy' &&
        !compose.services[dep]?.healthcheck &&
        !compose.services[dep]?.build
      )
        fail('compose.yaml', `service ${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
  }
  if (!compose.services?.postgres) fail('compose.yaml', 'no postgres service');
}

// Dockerfiles: the last stage's promises.
for (const [file, wantHealth] of [
  ['Dockerfile', true],
  ['conformance/Dockerfile', false],
]) {
  const lines = readFileSync(join(root, file), 'utf8').replace(/\\\n/g, ' ').split('\n');
  const stages = [];
  for (const l of lines) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(l);
    if (!m) continue;
    if (m[1] === 'FROM') stages.push([]);
    stages.at(-1)?.push([m[1], m[2]]);
  }
  const last = stages.at(-1) ?? [];
  const user = last.filter(([k]) => k === 'USER').at(-1)?.[1];
  if (!user || /^(root|0)(:|$)/.test(user))
    fail(file, `the final stage runs as ${user ?? 'root'}; add a non-root USER`);
  const health = last.find(([k]) => k === 'HEALTHCHECK')?.[1];
  if (wantHealth && (!health || /^NONE/.test(health))) fail(file, 'no HEALTHCHECK in the final stage');
  if (!last.some(([k, v]) => k === 'ENTRYPOINT' && v.trim().startsWith('[')))
    fail(file, 'ENTRYPOINT must be in exec form (["node", ...]) so signals reach node');
  for (const s of stages)
    if (/:latest\b|^[^:$\s]+(\s|$)/.test(s[0][1])) fail(file, `unpinned base image: FROM ${s[0][1]}`);
  for (const [k, v] of last)
    if (k === 'COPY' && !/--chown=/.test(v) && !/package\.json \.\/$/.test(v))
      fail(file, `COPY without --chown: ${v}`);
}

// The action: composite, inputs declared, its script present.
{
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
  if (action.runs?.using !== 'composite') fail('action.yml', 'runs.using must be "composite"');
  const text = readFileSync(join(root, 'action.yml'), 'utf8');
  for (const [, name] of text.matchAll(/inputs\.([a-z0-9-]+)/g))
    if (!action.inputs?.[name]) fail('action.yml', `reads inputs.${name}, which is not declared`);
  for (const step of action.runs?.steps ?? []) {
    if (step.run && !step.shell)
      fail('action.yml', `a run step needs "shell" in a composite action: ${step.run}`);
    for (const [, script] of (step.run ?? '').matchAll(/\$ACTION_ROOT\/(\S+?)"/g))
      if (!existsSync(join(root, script))) fail('action.yml', `runs ${script}, which does not exist`);
  }
  if (!(action.runs?.steps ?? []).some((s) => /upload-artifact/.test(s.uses ?? '') && s.if === 'always()'))
    fail('action.yml', 'the reports must be uploaded even when the suite fails (if: always())');
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  'compose.yaml valid against the Compose Specification; Dockerfiles and action.yml keep their promises',
);
