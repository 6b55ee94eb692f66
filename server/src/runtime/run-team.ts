/**
 * @module The team runner: the members in order (their events interleaved), then the team's own
 * answer; a member that pauses pauses the team.
 */
import type { TeamSpec } from './entities.js';
import { RunRuntimeError } from './errors.js';
import { callModel } from './model-call.js';
import type { AgentRunRec, TeamRunRec } from './output.js';
import {
  addDuration,
  epoch,
  errorMessage,
  message,
  messageMetrics,
  type Nest,
  newAgentRec,
  teamBase,
} from './records.js';
import { runAgent } from './run-agent.js';
import type { Segment } from './segment.js';
import { spanName } from './trace.js';

/**
 * Runs (or continues) a team: its members in order (their events interleaved), then the team's
 * own model answers with the members' answers. A member that pauses pauses the team, with the
 * member's requirements (`member_agent_id`, `member_run_id`).
 */
export async function runTeam(
  seg: Segment,
  spec: TeamSpec,
  rec: TeamRunRec,
  nest: Nest,
  continuing: boolean,
): Promise<'completed' | 'paused'> {
  const model = seg.modelFor(spec.model, spec.builtin);
  const base = teamBase(rec, nest);
  const started = seg.deps.now();
  if (!nest.isTop) seg.deps.registry.alias(rec.run_id, seg.top.runId);
  const span = seg.trace.start(
    `${spanName(spec.name)}.${continuing ? 'continue_run' : 'run'}`,
    'TEAM',
    nest.parentSpan,
    rec.input.input_content,
    { run_id: rec.run_id, team_id: spec.id },
  );
  if (nest.isTop) seg.rootSpan = span;
  rec.status = 'RUNNING';
  seg.emit(
    continuing ? 'TeamRunContinued' : 'TeamRunStarted',
    base,
    continuing ? {} : { model: model.id, model_provider: model.provider },
  );
  const memberNest: Nest = {
    isTop: false,
    parentSpan: span,
    parentRunId: rec.run_id,
    teamId: spec.id,
    workflowId: nest.workflowId,
    workflowRunId: nest.workflowRunId,
    stepId: nest.stepId,
    stepName: nest.stepName,
    stepIndex: nest.stepIndex,
  };
  const pause = (member: AgentRunRec): 'paused' => {
    rec.requirements = (member.requirements ?? []).map((r) => ({
      ...structuredClone(r),
      member_agent_id: member.agent_id,
      member_agent_name: member.agent_name,
      member_run_id: member.run_id,
    }));
    rec.status = 'PAUSED';
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ metadata: { status: 'PAUSED' } });
    seg.emit('TeamRunPaused', base, { requirements: rec.requirements }, nest.isTop);
    return 'paused';
  };
  try {
    let i = rec.member_responses.length;
    const last = rec.member_responses[i - 1];
    if (last && last.status === 'PAUSED') {
      const member = spec.members[i - 1];
      if (!member) throw new RunRuntimeError('ERR_RUN_ENTITY_INVALID', `${spec.name} has no member ${i}`);
      if ((await runAgent(seg, member, last, memberNest, true)) === 'paused') return pause(last);
    }
    for (; i < spec.members.length; i++) {
      await seg.checkCancel([rec.run_id]);
      const member = spec.members[i]!;
      const mrec = newAgentRec(member, seg.modelFor(member.model, member.builtin), {
        sessionId: rec.session_id,
        userId: rec.user_id ?? null,
        input: rec.input.input_content,
        parentRunId: rec.run_id,
        workflowId: rec.workflow_id,
        now: seg.deps.now(),
      });
      rec.member_responses.push(mrec);
      if ((await runAgent(seg, member, mrec, memberNest, false)) === 'paused') return pause(mrec);
    }
    await seg.checkCancel([rec.run_id]);
    const res = await callModel(seg, {
      speaker: spec.name,
      model,
      messages: rec.messages,
      tools: [],
      memberResponses: rec.member_responses.map((m) => ({
        name: m.agent_name,
        content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''),
      })),
      contentEvent: 'TeamRunContent',
      base,
      span,
      metrics: rec.metrics,
      started,
    });
    const now = seg.deps.now();
    const content = res.content ?? '';
    if (!res.streamed && content) seg.emit('TeamRunContent', base, { content, content_type: 'str' });
    rec.messages.push(
      message({ role: 'assistant', content, metrics: messageMetrics(res), created_at: epoch(now) }),
    );
    rec.content = content;
    rec.content_type = 'str';
    delete rec.requirements;
    rec.status = 'COMPLETED';
    addDuration(rec.metrics, started, now);
    span.end({ output: content });
    seg.emit('TeamRunContentCompleted', base);
    seg.emit(
      'TeamRunCompleted',
      base,
      {
        content,
        content_type: 'str',
        metrics: rec.metrics,
        session_state: nest.isTop ? seg.sessionState : undefined,
      },
      nest.isTop,
    );
    return 'completed';
  } catch (err) {
    if (rec.status === 'RUNNING') addDuration(rec.metrics, started, seg.deps.now());
    span.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}
