/**
 * @module The entities `agentos-server` serves when the configuration names none, so that
 * `npm start` gives a newcomer something to call: two agents (one with a tool that requires
 * human approval), a team of both, and a two-step workflow, all on the built-in model.
 */
import type { EntityConfig } from './config/options.js';

export const DEMO_AGENTS: EntityConfig[] = [
  {
    id: 'research-agent',
    name: 'Research Agent',
    description: 'Finds sources and answers questions (built-in deterministic model).',
    instructions: 'Answer briefly and cite your sources.',
    tools: ['echo', 'add'],
  },
  {
    id: 'support-agent',
    name: 'Support Agent',
    description: 'Looks up orders; refunds need a human approval.',
    instructions: 'Help customers with their orders.',
    tools: [
      'lookup_order',
      { name: 'issue_refund', description: 'Refund an order', requiresConfirmation: true },
    ],
  },
];

export const DEMO_TEAMS: EntityConfig[] = [
  {
    id: 'research-team',
    name: 'Research Team',
    description: 'The research and support agents, in turn.',
    members: ['research-agent', 'support-agent'],
  },
];

export const DEMO_WORKFLOWS: EntityConfig[] = [
  {
    id: 'content-pipeline',
    name: 'Content Pipeline',
    description: 'Research, then review.',
    steps: [
      { name: 'research', agent: 'research-agent' },
      { name: 'review', agent: 'support-agent' },
    ],
  },
];
