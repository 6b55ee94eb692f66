/**
 * @module The AsyncAPI 3.0 document of the workflow WebSocket (`agentos.asyncapi.yaml`): valid for
 * the official parser, and each action's `x-required-scopes` / `x-user-owned` equal to those of the
 * REST operation it mirrors (`x-rest-operation`) in the bundled OpenAPI document.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';

const asyncapiPath = fileURLToPath(new URL('../agentos.asyncapi.yaml', import.meta.url));
const openapiPath = fileURLToPath(new URL('../agentos.openapi.yaml', import.meta.url));

type Dict = Record<string, any>;

async function load(): Promise<{ text: string; doc: Dict; openapi: Dict }> {
  const text = await readFile(asyncapiPath, 'utf8');
  return { text, doc: parse(text) as Dict, openapi: parse(await readFile(openapiPath, 'utf8')) as Dict };
}

function restOperation(openapi: Dict, operationId: string): Dict | undefined {
  for (const item of Object.values(openapi.paths as Dict)) {
    for (const op of Object.values(item as Dict)) {
      if (op && typeof op === 'object' && (op as Dict).operationId === operationId) return op as Dict;
    }
  }
  return undefined;
}

describe('agentos.asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0 document (official parser, no errors)', async () => {
    const { text } = await load();
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === 0);
    assert.deepEqual(
      errors.map((d) => `${d.path.join('.')}: ${d.message}`),
      [],
    );
    assert.ok(document, 'parsed');
    assert.equal(document.version(), '3.0.0');
    assert.equal(document.channels().get('workflows')?.address(), '/workflows/ws');
  });

  it("each run action's scopes and ownership flag equal those of the REST operation it mirrors", async () => {
    const { doc, openapi } = await load();
    const mirrored = Object.entries(doc.operations as Dict).filter(([, op]) => op['x-rest-operation']);
    assert.deepEqual(
      mirrored.map(([name, op]) => [name, op['x-rest-operation']]),
      [
        ['startWorkflow', 'createWorkflowRun'],
        ['reconnect', 'resumeWorkflowRun'],
        ['continueWorkflow', 'continueWorkflowRun'],
      ],
    );
    for (const [name, op] of mirrored) {
      const rest = restOperation(openapi, op['x-rest-operation']);
      assert.ok(rest, `${name}: no REST operation ${op['x-rest-operation']}`);
      assert.deepEqual(op['x-required-scopes'], rest['x-required-scopes'], name);
      assert.equal(op['x-user-owned'], rest['x-user-owned'] === true, name);
      // Every {param} of a scope template is bound to a field of the action's message.
      const payload = doc.components.messages[name].payload as Dict;
      for (const scope of op['x-required-scopes'] as string[]) {
        for (const [, param] of scope.matchAll(/\{([^}]+)\}/g)) {
          const field = op['x-scope-params']?.[param!];
          assert.ok(
            field && payload.properties[field],
            `${name}: {${param}} is not bound to a message field`,
          );
        }
      }
      assert.equal(typeof op['x-ownership'], 'string', `${name}: x-ownership`);
    }
  });

  it('has no null values outside data positions (a stray comma in a flow value)', async () => {
    const { doc } = await load();
    const found: string[] = [];
    const walk = (node: unknown, pointer: string) => {
      if (node === null) found.push(pointer);
      else if (typeof node === 'object')
        for (const [k, v] of Object.entries(node)) walk(v, `${pointer}/${k}`);
    };
    walk(doc, '');
    assert.deepEqual(found, []);
  });

  it('every action but authenticate requires authentication; only continue carries the approval gate', async () => {
    const { doc } = await load();
    const ops = doc.operations as Dict;
    const received = Object.entries(ops).filter(([, op]) => op.action === 'receive');
    assert.deepEqual(
      received.filter(([, op]) => op['x-requires-authentication'] !== true).map(([n]) => n),
      ['authenticate'],
    );
    assert.deepEqual(
      Object.entries(ops)
        .filter(([, op]) => op['x-approval-gate'])
        .map(([n]) => n),
      ['continueWorkflow'],
    );
  });
});
