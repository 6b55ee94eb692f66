/**
 * @module The workflow runner: its steps in order, each step's executor (agent or team) given the
 * previous step's output; a step that needs confirmation, or an executor that pauses, pauses it.
 */
import type { StepSpec, WorkflowSpec } from './entities.js';
import { RunRuntimeError } from './errors.js';
import {
  type AgentRunRec,
  type Dict,
  isTeamRec,
  type StepRequirementRec,
  type StepResultRec,
  type TeamRunRec,
  type WorkflowRunRec,
} from './output.js';
import { addDuration, errorMessage, type Nest, newAgentRec, newTeamRec, workflowBase } from './records.js';
import { runAgent } from './run-agent.js';
import { runTeam } from './run-team.js';
import type { Outcome, Segment } from './segment.js';
import { type OpenSpan, spanName } from './trace.js';

function stepFields(step: StepSpec): Dict {
  return { step_name: step.name, step_index: step.index, step_id: step.stepId };
}

function executorInfo(exec: AgentRunRec | TeamRunRec): Dict {
  return isTeamRec(exec)
    ? {
        executor_id: exec.team_id,
        executor_name: exec.team_name,
        executor_run_id: exec.run_id,
        executor_type: 'team',
      }
    : {
        executor_id: exec.agent_id,
        executor_name: exec.agent_name,
        executor_run_id: exec.run_id,
        executor_type: 'agent',
      };
}

/**
 * Runs (or continues) a workflow: its steps in order, each step's executor (agent or team) getting
 * the previous step's output. A step marked `requiresConfirmation` pauses before it runs
 * (`pause_kind: step`); an executor that pauses on a tool pauses the workflow (`pause_kind:
 * executor`).
 */
export async function runWorkflow(
  seg: Segment,
  spec: WorkflowSpec,
  rec: WorkflowRunRec,
  continuing: boolean,
): Promise<Outcome> {
  const base = workflowBase(rec);
  const started = seg.deps.now();
  const span = seg.trace.start(
    `${spanName(spec.name)}.${continuing ? 'continue_run' : 'run'}`,
    'WORKFLOW',
    null,
    rec.input,
    { run_id: rec.run_id, workflow_id: spec.id },
  );
  seg.rootSpan = span;
  rec.status = 'RUNNING';
  const lastContent = () => {
    for (let k = rec.step_results.length - 1; k >= 0; k--) {
      const r = rec.step_results[k]!;
      if (!r.skipped) return typeof r.content === 'string' ? r.content : JSON.stringify(r.content ?? '');
    }
    return rec.input;
  };
  const finish = (outcome: 'paused' | 'cancelled', fields: Dict, event: string): Outcome => {
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ metadata: { status: rec.status } });
    seg.emit(event, base, fields, true);
    return outcome;
  };
  const pauseExecutor = (step: StepSpec, exec: AgentRunRec | TeamRunRec): Outcome => {
    const req: StepRequirementRec = {
      step_id: step.stepId,
      step_name: step.name,
      step_index: step.index,
      step_type: 'Step',
      requires_confirmation: false,
      confirmed: null,
      on_reject: step.onReject,
      requires_executor_input: true,
      executor_requirements: structuredClone(exec.requirements ?? []),
      ...(executorInfo(exec) as Partial<StepRequirementRec>),
      executor_session_id: exec.session_id,
    };
    rec.step_requirements = [
      ...(rec.step_requirements ?? []).filter((r) => r.step_index !== step.index),
      req,
    ];
    rec.status = 'PAUSED';
    rec.paused_step_index = step.index;
    rec.paused_step_name = step.name;
    rec.pause_kind = 'executor';
    seg.emit('StepExecutorPaused', base, {
      ...stepFields(step),
      ...executorInfo(exec),
      executor_requirements: req.executor_requirements,
    });
    return finish(
      'paused',
      {
        status: 'PAUSED',
        paused_step_index: step.index,
        paused_step_name: step.name,
        pause_kind: 'executor',
        step_requirements: rec.step_requirements,
      },
      'WorkflowPaused',
    );
  };
  const completeStep = (step: StepSpec, exec: AgentRunRec | TeamRunRec) => {
    const result: StepResultRec = {
      step_name: step.name,
      step_id: step.stepId,
      step_type: 'Step',
      step_index: step.index,
      executor_type: isTeamRec(exec) ? 'team' : 'agent',
      executor_name: isTeamRec(exec) ? exec.team_name : exec.agent_name,
      content: exec.content ?? null,
      content_type: 'str',
      success: exec.status === 'COMPLETED',
      // agno's `StepOutput` fields.
      step_run_id: exec.run_id,
      metrics: exec.metrics,
      stop: false,
      is_paused: false,
    };
    rec.step_results.push(result);
    // agno's `StepMetrics`, keyed by step name.
    const steps = (rec.metrics.steps ?? {}) as Dict;
    steps[step.name] = {
      step_name: step.name,
      executor_type: result.executor_type,
      executor_name: result.executor_name,
      metrics: exec.metrics,
    };
    rec.metrics.steps = steps;
    seg.emit('StepCompleted', base, {
      ...stepFields(step),
      content: result.content,
      content_type: 'str',
      step_response: result,
    });
  };
  const runExecutor = (step: StepSpec, exec: AgentRunRec | TeamRunRec, again: boolean) => {
    const nest: Nest = {
      isTop: false,
      parentSpan: stepSpan,
      parentRunId: rec.run_id,
      workflowId: spec.id,
      workflowRunId: rec.run_id,
      stepId: step.stepId,
      stepName: step.name,
      stepIndex: step.index,
    };
    return step.executor.kind === 'team'
      ? runTeam(seg, step.executor, exec as TeamRunRec, nest, again)
      : runAgent(seg, step.executor, exec as AgentRunRec, nest, again);
  };
  let stepSpan: OpenSpan | null = null;
  try {
    if (!continuing) seg.emit('WorkflowStarted', base);
    let i = rec.step_results.length;
    if (continuing && rec.pause_kind !== undefined) {
      const kind = rec.pause_kind;
      const step = spec.steps[rec.paused_step_index ?? i];
      if (!step)
        throw new RunRuntimeError(
          'ERR_RUN_ENTITY_INVALID',
          `${spec.name} has no step ${rec.paused_step_index}`,
        );
      const req = rec.step_requirements?.find((r) => r.step_index === step.index);
      delete rec.pause_kind;
      delete rec.paused_step_index;
      delete rec.paused_step_name;
      if (kind === 'step') {
        seg.emit('StepContinued', base, stepFields(step));
        if (req?.confirmed === false) {
          if (step.onReject === 'skip') {
            rec.step_results.push({
              step_name: step.name,
              step_id: step.stepId,
              step_type: 'Step',
              step_index: step.index,
              content: null,
              success: false,
              skipped: true,
            });
            i = step.index + 1;
          } else {
            rec.status = 'CANCELLED';
            return finish(
              'cancelled',
              { reason: `Step "${step.name}" was rejected`, content: lastContent() },
              'WorkflowCancelled',
            );
          }
        }
      } else {
        const exec = rec.step_executor_runs[rec.step_executor_runs.length - 1];
        if (exec?.status !== 'PAUSED') {
          throw new RunRuntimeError('ERR_RUN_NOT_CONTINUABLE', 'run is not paused on a step executor');
        }
        seg.emit('StepExecutorContinued', base, { ...stepFields(step), ...executorInfo(exec) });
        stepSpan = seg.trace.start(
          step.name,
          'CHAIN',
          span,
          lastContent(),
          { step_index: step.index },
          'Step',
        );
        const outcome = await runExecutor(step, exec, true);
        if (outcome === 'paused') {
          stepSpan.end({ metadata: { status: 'PAUSED' } });
          return pauseExecutor(step, exec);
        }
        stepSpan.end({ output: typeof exec.content === 'string' ? exec.content : null });
        completeStep(step, exec);
        i = step.index + 1;
      }
    }
    for (; i < spec.steps.length; i++) {
      await seg.checkCancel([rec.run_id]);
      const step = spec.steps[i]!;
      const confirmed = rec.step_requirements?.some(
        (r) => r.step_index === i && r.requires_confirmation && r.confirmed === true,
      );
      if (step.requiresConfirmation && !confirmed) {
        const req: StepRequirementRec = {
          step_id: step.stepId,
          step_name: step.name,
          step_index: step.index,
          step_type: 'Step',
          requires_confirmation: true,
          confirmation_message: step.confirmationMessage,
          confirmed: null,
          on_reject: step.onReject,
        };
        rec.step_requirements = [...(rec.step_requirements ?? []).filter((r) => r.step_index !== i), req];
        rec.status = 'PAUSED';
        rec.paused_step_index = step.index;
        rec.paused_step_name = step.name;
        rec.pause_kind = 'step';
        seg.emit('StepPaused', base, {
          ...stepFields(step),
          requires_confirmation: true,
          confirmation_message: step.confirmationMessage,
        });
        return finish(
          'paused',
          {
            status: 'PAUSED',
            paused_step_index: step.index,
            paused_step_name: step.name,
            pause_kind: 'step',
            step_requirements: rec.step_requirements,
          },
          'WorkflowPaused',
        );
      }
      seg.emit('StepStarted', base, stepFields(step));
      const input = lastContent();
      stepSpan = seg.trace.start(step.name, 'CHAIN', span, input, { step_index: step.index }, 'Step');
      const now = seg.deps.now();
      const recInput = {
        sessionId: rec.session_id,
        userId: rec.user_id ?? null,
        input,
        parentRunId: rec.run_id,
        workflowId: spec.id,
        workflowStepId: step.stepId,
        now,
      };
      const ex = step.executor;
      const exec =
        ex.kind === 'team'
          ? newTeamRec(ex, seg.modelFor(ex.model, ex.builtin), recInput)
          : newAgentRec(ex, seg.modelFor(ex.model, ex.builtin), recInput);
      rec.step_executor_runs.push(exec);
      const outcome = await runExecutor(step, exec, false);
      if (outcome === 'paused') {
        stepSpan.end({ metadata: { status: 'PAUSED' } });
        return pauseExecutor(step, exec);
      }
      stepSpan.end({ output: typeof exec.content === 'string' ? exec.content : null });
      completeStep(step, exec);
    }
    const content = lastContent();
    rec.content = content;
    rec.content_type = 'str';
    rec.status = 'COMPLETED';
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ output: content });
    seg.emit(
      'WorkflowCompleted',
      base,
      { content, content_type: 'str', step_results: rec.step_results, metrics: rec.metrics },
      true,
    );
    return 'completed';
  } catch (err) {
    stepSpan?.end({ status: 'ERROR', error: errorMessage(err) });
    if (rec.status === 'RUNNING') addDuration(rec.metrics, started, seg.deps.now());
    span.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}
