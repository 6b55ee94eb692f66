/**
 * @module Evals: evaluation runs (list, get, rename, delete) and running an evaluation against a
 * configured agent or team through `ctx.runtime.runOnce`. Research §1.9.
 *
 * Ownership (contract.md §5, agno 3.1): a run records its creator (`user_id`); under user
 * isolation a scoped caller lists, reads, renames and deletes its own runs only (another user's,
 * or one without a creator, answers 404 like a missing one). There are no shared eval runs.
 *
 * Evaluations are deterministic here (no judge model):
 * - `accuracy`: each iteration's output is compared with `expected_output` after normalising case
 *   and whitespace: equal scores 10, containing it scores 8, anything else 1.
 * - `performance`: wall-clock seconds of each measured run (after `warmup_runs` unmeasured runs),
 *   and the heap growth in MiB.
 * - `reliability`: the tool calls of the run (`output.tools[].tool_name` / `tool_args`) against
 *   `expected_tool_calls` (and `expected_tool_call_arguments`).
 * - `agent_as_judge` needs a judge model, which the reference server does not have: 400.
 *
 * `model_id` / `model_provider` are recorded with the result; the run engine runs the entity with
 * its configured model. Security note (research §7.11): only `evals:write` is required, yet the
 * named agent or team is executed.
 */
import type { EntityConfig } from '../config/options.js';
import type { EvalRunRow } from '../db/index.js';
import { evals, runs } from '../db/repos/index.js';
import type { Handlers } from '../generated/server.js';
import type { RunOnceResult } from '../runtime/types.js';
import type { ServerContext } from '../server-context.js';
import { type Ownership, ownerScope } from './isolation.js';
import { pageMeta, pageRequest, startTimer } from './pagination.js';
import { asArray, asObject, fail, iso, type JsonRecord, qs, type Schemas } from './wire.js';

export type EvalHandlers = Pick<
  Handlers,
  'listEvalRuns' | 'deleteEvalRuns' | 'createEvalRun' | 'getEvalRun' | 'updateEvalRun'
>;

type EvalType = Schemas['EvalType'];
const EVAL_TYPES: readonly EvalType[] = ['accuracy', 'agent_as_judge', 'performance', 'reliability'];

export function toEval(row: EvalRunRow): Schemas['EvalSchema'] {
  return {
    id: row.id,
    agent_id: row.agent_id,
    model_id: row.model_id,
    model_provider: row.model_provider,
    team_id: row.team_id,
    workflow_id: row.workflow_id,
    name: row.name,
    evaluated_component_name: row.evaluated_component_name,
    user_id: row.user_id,
    eval_type: row.eval_type as EvalType,
    eval_data: asObject(row.eval_data) ?? {},
    eval_input: asObject(row.eval_input),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** `{id, provider}` of an entity's configured model (`"provider:id"`, an id, or an object). */
function modelOf(e: EntityConfig): { id: string | null; provider: string | null } {
  const m = e.model;
  if (m === undefined) return { id: null, provider: null };
  if (typeof m === 'string') {
    const i = m.indexOf(':');
    return i === -1 ? { id: m, provider: null } : { id: m.slice(i + 1), provider: m.slice(0, i) };
  }
  return { id: m.id, provider: m.provider ?? null };
}

function outputText(content: unknown): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : JSON.stringify(content);
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const median = n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const p95 = n === 0 ? 0 : sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!;
  return { mean, min: sorted[0] ?? 0, max: sorted[n - 1] ?? 0, std, median, p95 };
}

const round = (v: number, digits = 6) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Whether every expected argument appears with the same value (deep, JSON-compared). */
function argsMatch(expected: JsonRecord, actual: JsonRecord | null): boolean {
  if (!actual) return false;
  return Object.entries(expected).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v));
}

/** Eval runs have no shared rows: a scoped caller sees its own only. */
const EVAL_RUNS: Ownership = { shared: false };

/** Throws the 404 of an unknown eval run. */
function notFound(id: string): never {
  fail(404, `Eval run with id '${id}' not found`);
}

/**
 * Creates the Evals handlers.
 * @example createEvalHandlers(ctx).createEvalRun
 */
export function createEvalHandlers(ctx: ServerContext): EvalHandlers {
  const db = () => ctx.database.db;

  /** The tool calls of a run (`output.tools`: from the result, else as stored with the run). */
  async function toolCalls(result: RunOnceResult): Promise<{ name: string; args: JsonRecord | null }[]> {
    let output: unknown = result.output;
    if (!asObject(output)) output = (await runs.get(db(), result.runId))?.output;
    const tools = asArray(asObject(output)?.tools) ?? [];
    return tools.flatMap((t) => {
      const o = asObject(t);
      const name = o?.tool_name ?? o?.name;
      return typeof name === 'string' ? [{ name, args: asObject(o?.tool_args ?? o?.arguments) }] : [];
    });
  }

  return {
    async listEvalRuns({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const types = qs(query.eval_types)
        ?.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (types && types.length > 0) {
        const unknown = types.find((t) => !(EVAL_TYPES as readonly string[]).includes(t));
        if (unknown !== undefined)
          fail(422, `Invalid eval_type: '${unknown}'. Valid types: ${EVAL_TYPES.join(', ')}`);
      }
      const { rows, total } = await evals.list(db(), {
        agentId: qs(query.agent_id),
        teamId: qs(query.team_id),
        workflowId: qs(query.workflow_id),
        modelId: qs(query.model_id),
        type: query.type,
        evalTypes: types,
        visibleTo: ownerScope(caller, EVAL_RUNS),
        sortBy: query.sort_by,
        sortOrder: query.sort_order,
        limit: p.limit,
        page: p.page,
      });
      return { status: 200, body: { data: rows.map(toEval), meta: pageMeta(p, total, started) } };
    },

    async deleteEvalRuns({ body, caller }) {
      // A scoped caller's ids of other users' runs are ignored, as unknown ids are.
      await evals.deleteMany(db(), body.eval_run_ids, { visibleTo: ownerScope(caller, EVAL_RUNS) });
      return { status: 204 };
    },

    async getEvalRun({ path, caller }) {
      const row = await evals.get(db(), path.eval_run_id, { visibleTo: ownerScope(caller, EVAL_RUNS) });
      if (!row) notFound(path.eval_run_id);
      return { status: 200, body: toEval(row) };
    },

    async updateEvalRun({ path, body, caller }) {
      const row = await evals.update(
        db(),
        path.eval_run_id,
        { name: body.name, updated_at: ctx.now() },
        { visibleTo: ownerScope(caller, EVAL_RUNS) },
      );
      if (!row) notFound(path.eval_run_id);
      return { status: 200, body: toEval(row) };
    },

    async createEvalRun({ body, caller }) {
      const agentId = body.agent_id ?? null;
      const teamId = body.team_id ?? null;
      if (agentId === null && teamId === null) fail(400, 'One of agent_id or team_id must be provided');
      if (agentId !== null && teamId !== null) fail(400, 'Only one of agent_id or team_id must be provided');
      const kind = agentId !== null ? 'agent' : 'team';
      const entityId = (agentId ?? teamId) as string;
      const entity = (kind === 'agent' ? ctx.config.agents : ctx.config.teams).find((e) => e.id === entityId);
      if (!entity) fail(404, `${kind === 'agent' ? 'Agent' : 'Team'} with id '${entityId}' not found`);

      const evalType = body.eval_type;
      if (evalType === 'accuracy' && !body.expected_output)
        fail(400, 'expected_output is required for accuracy evaluation');
      if (
        evalType === 'reliability' &&
        (body.expected_tool_calls === undefined || body.expected_tool_calls === null)
      )
        fail(400, 'expected_tool_calls is required for reliability evaluations');
      if (evalType === 'agent_as_judge') {
        if (!body.criteria) fail(400, 'criteria is required for agent-as-judge evaluation');
        fail(
          400,
          'agent_as_judge evaluations need a judge model, which this server does not have; use accuracy, performance or reliability',
        );
      }

      const run = async (): Promise<RunOnceResult> => {
        try {
          return await ctx.runtime.runOnce({
            kind,
            id: entityId,
            message: body.input,
            userId: caller.userId,
          });
        } catch (err) {
          ctx.logger.error({ err, kind, id: entityId }, 'evaluation run failed');
          fail(500, `Failed to run ${evalType} evaluation: the ${kind} run failed`);
        }
      };
      const iterations = body.num_iterations ?? 1;
      let evalData: JsonRecord;

      if (evalType === 'accuracy') {
        const expected = body.expected_output as string;
        const results: JsonRecord[] = [];
        for (let i = 0; i < iterations; i++) {
          const result = await run();
          const output = outputText(result.content);
          const o = normalise(output);
          const e = normalise(expected);
          const [score, reason] =
            o === e
              ? [10, 'The output matches the expected output (ignoring case and whitespace).']
              : e !== '' && o.includes(e)
                ? [8, 'The output contains the expected output.']
                : [1, `The output does not contain the expected output (run status ${result.status}).`];
          results.push({
            input: body.input,
            output,
            expected_output: expected,
            score,
            reason,
            run_id: result.runId,
          });
        }
        const s = stats(results.map((r) => r.score as number));
        evalData = {
          results,
          avg_score: round(s.mean),
          mean_score: round(s.mean),
          min_score: s.min,
          max_score: s.max,
          std_dev_score: round(s.std),
        };
      } else if (evalType === 'performance') {
        for (let i = 0; i < (body.warmup_runs ?? 0); i++) await run();
        const runTimes: number[] = [];
        const memory: number[] = [];
        for (let i = 0; i < iterations; i++) {
          const heap = process.memoryUsage().heapUsed;
          const t0 = performance.now();
          await run();
          runTimes.push(round((performance.now() - t0) / 1000));
          memory.push(round(Math.max(0, process.memoryUsage().heapUsed - heap) / (1024 * 1024)));
        }
        const t = stats(runTimes);
        const m = stats(memory);
        evalData = {
          run_times: runTimes,
          avg_run_time: round(t.mean),
          min_run_time: t.min,
          max_run_time: t.max,
          std_dev_run_time: round(t.std),
          median_run_time: round(t.median),
          p95_run_time: t.p95,
          memory_usages: memory,
          avg_memory_usage: round(m.mean),
          min_memory_usage: m.min,
          max_memory_usage: m.max,
          std_dev_memory_usage: round(m.std),
          median_memory_usage: round(m.median),
          p95_memory_usage: m.p95,
        };
      } else {
        const result = await run();
        const calls = await toolCalls(result);
        const called = [...new Set(calls.map((c) => c.name))];
        const expected = body.expected_tool_calls ?? [];
        const passed = expected.filter((t) => called.includes(t));
        const missing = expected.filter((t) => !called.includes(t));
        const additional = called.filter((t) => !expected.includes(t));
        const passedArgs: string[] = [];
        const failedArgs: string[] = [];
        for (const [tool, spec] of Object.entries(body.expected_tool_call_arguments ?? {})) {
          const wanted = (Array.isArray(spec) ? spec : [spec]) as JsonRecord[];
          for (const w of wanted) {
            const ok = calls.some((c) => c.name === tool && argsMatch(w, c.args));
            (ok ? passedArgs : failedArgs).push(`${tool}(${JSON.stringify(w)})`);
          }
        }
        const failedCalls = body.allow_additional_tool_calls ? missing : [...missing, ...additional];
        evalData = {
          eval_status: failedCalls.length === 0 && failedArgs.length === 0 ? 'PASSED' : 'FAILED',
          failed_tool_calls: failedCalls,
          passed_tool_calls: passed,
          additional_tool_calls: additional,
          missing_tool_calls: missing,
          failed_argument_checks: failedArgs,
          passed_argument_checks: passedArgs,
          run_id: result.runId,
        };
      }

      const model = modelOf(entity);
      const evalInput: JsonRecord = {};
      for (const [k, v] of Object.entries(body))
        if (
          v !== undefined &&
          v !== null &&
          !['agent_id', 'team_id', 'eval_type', 'name', 'model_id', 'model_provider', 'user_id'].includes(k)
        )
          evalInput[k] = v;
      const row = await evals.create(db(), {
        agent_id: agentId,
        team_id: teamId,
        model_id: body.model_id ?? model.id,
        model_provider: body.model_provider ?? model.provider,
        name: body.name ?? null,
        evaluated_component_name: entity.name ?? entity.id,
        eval_type: evalType,
        eval_data: evalData,
        eval_input: evalInput,
        // The creator: the scoped caller, else the authenticated subject (agno 3.1).
        user_id: caller.scopedUserId ?? caller.userId ?? null,
        created_at: ctx.now(),
      });
      return { status: 200, body: toEval(row) };
    },
  };
}
