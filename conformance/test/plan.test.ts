import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planSuite } from '../src/plan.js';
import { PROBES } from '../src/probes/catalog.js';
import { readSpec } from '../src/spec.js';
import { miniSpec } from './helpers.js';

describe('planSuite', () => {
  test('every secured operation gets the scope probes; public ones the PUB probes', async () => {
    const plan = planSuite(await miniSpec(), { alg: 'RS256' });
    const ids = (opId: string) =>
      new Set(plan.cases.filter((c) => c.operationId === opId).map((c) => c.probe.id));
    for (const id of [
      'SCOPE-EXACT',
      'SCOPE-ADMIN',
      'SCOPE-GLOBAL',
      'SCOPE-OTHER-ID',
      'SCOPE-NO-CLAIM',
      'DIFF-UNMAPPED-ROUTE',
    ])
      assert.ok(ids('getAgent').has(id), id);
    assert.ok(!ids('getConfig').has('SCOPE-OTHER-ID'));
    assert.ok(ids('getConfig').has('SCOPE-LEGACY-SYSTEM'));
    assert.deepEqual([...ids('getHealth')].sort(), ['PUB-GARBAGE-TOKEN', 'PUB-NO-TOKEN', 'PUB-VALID-TOKEN']);
    assert.ok(ids('listAgents').has('FILTER-OTHER-ACTION'));
  });
  test('every planned probe id is in the catalog with a severity and a reference', async () => {
    const plan = planSuite(await miniSpec(), {
      alg: 'RS256',
      userIsolation: true,
      audience: 'a',
      issuer: 'i',
    });
    for (const c of plan.cases) {
      const p = PROBES.get(c.probe.id);
      assert.ok(p, c.probe.id);
      assert.ok(p.reference.length > 3 && (p.severity === 'MUST' || p.severity === 'SHOULD'));
    }
  });
  test('safe mode never authorizes a write that has no id and no body', async () => {
    const plan = planSuite(await miniSpec(), { alg: 'RS256' });
    const exact = plan.cases.find((c) => c.operationId === 'refreshMetrics' && c.probe.id === 'SCOPE-EXACT');
    assert.match(exact?.skip ?? '', /safe mode/);
    const run = plan.cases.find((c) => c.operationId === 'createAgentRun' && c.probe.id === 'SCOPE-EXACT');
    assert.equal(run?.skip, undefined);
    assert.match(run?.steps[0]?.request.path ?? '', /conformance-missing/);
    assert.equal(
      planSuite(await miniSpec(), { alg: 'RS256', mode: 'full' }).cases.find(
        (c) => c.operationId === 'refreshMetrics' && c.probe.id === 'SCOPE-EXACT',
      )?.skip,
      undefined,
    );
  });
  test('token probes run on the representative set only', async () => {
    const plan = planSuite(await miniSpec(), { alg: 'RS256' });
    const tokOps = new Set(plan.cases.filter((c) => c.probe.id === 'TOK-ALG-NONE').map((c) => c.operationId));
    assert.deepEqual([...tokOps].sort(), plan.context.representative.map((o) => o.operationId).sort());
    assert.ok(plan.notes.some((n) => n.includes('representative')));
  });
  test('--only and config skips', async () => {
    const plan = planSuite(await miniSpec(), {
      alg: 'RS256',
      only: ['TOK-*'],
      skips: [{ operation: 'GET /agents', reason: 'flaky' }],
    });
    assert.ok(plan.cases.every((c) => c.probe.id.startsWith('TOK-')));
    assert.ok(plan.cases.filter((c) => c.operationId === 'listAgents').every((c) => c.skip !== undefined));
    assert.ok(plan.cases.some((c) => c.skip === 'skipped by config: flaky'));
  });
  test('an operation without x-required-scopes is a spec error', () => {
    const spec = readSpec({ openapi: '3.1.0', paths: { '/x': { get: { operationId: 'x' } } } });
    assert.throws(() => planSuite(spec, { alg: 'RS256' }), /lack x-required-scopes/);
  });
});
