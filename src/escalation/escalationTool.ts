import { z } from 'zod';
import type { ToolSpec } from '../model/types.js';
import { ESCALATE_TOOL_NAME } from '../orchestrator/protocol.js';
import { toolParameters } from '../orchestrator/tool.js';
import { URGENCIES } from './escalation.js';

export const MAX_REASON_CHARS = 500;

export const escalateInputSchema = z.object({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(MAX_REASON_CHARS)
    .describe('Why a person is needed, in one sentence for the support team'),
  urgency: z
    .enum(URGENCIES)
    .default('normal')
    .describe('low, normal, high (the customer is upset or blocked) or urgent (money, safety or an outage)'),
});
export type EscalateInput = z.infer<typeof escalateInputSchema>;

/** The name and schema a call is validated against, like any tool's. */
export const escalateCallSchema = { name: ESCALATE_TOOL_NAME, input: escalateInputSchema };

/** Offered to every agent when a staff channel is configured; the run loop handles it itself (it ends the turn). */
export const escalateToolSpec: ToolSpec = (() => {
  const parameters = toolParameters(escalateInputSchema);
  return {
    name: ESCALATE_TOOL_NAME,
    description:
      'Hand this conversation to a person on the support team. Use it when the customer asks for a human, complains, or needs something no tool or agent here can do. Staff see a summary, so the customer need not repeat themselves.',
    parameters,
  };
})();

/** Appended to every agent's instructions when escalation is on. */
export const ESCALATION_INSTRUCTIONS =
  'If the customer asks for a person, makes a complaint, or needs something you cannot do with your tools, call escalate_to_human with a short reason and an urgency. Do not promise a person otherwise.';

/** What the customer is told when the conversation goes to staff. */
export const ESCALATED_REPLY =
  "I've asked a member of our support team to join. They'll reply right here, and they can see our conversation so far, so you don't need to repeat anything.";
