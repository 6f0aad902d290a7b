import { z } from 'zod';
import type { ToolSpec } from '../model/types.js';
import type { Agent } from './agent.js';
import { askToolName, type DelegateAnswer, transferToolName } from './protocol.js';
import { toolParameters } from './tool.js';

/**
 * A specialist consulted as a tool (`ask_<agent>`, see protocol.ts): it runs on one part of the customer's message,
 * with its own context and tool loop, and its answer goes back to the caller to merge. Several such calls in one
 * response run side by side. Unlike a handoff, the caller keeps the conversation.
 */
export const askInputSchema = z.object({
  request: z
    .string()
    .trim()
    .min(1)
    .max(2_000)
    .describe("The part of the customer's message this specialist should handle, in their words"),
});

/** Built once: converting a zod schema takes longer than the rest of preparing a model call. */
const ASK_PARAMETERS = toolParameters(askInputSchema);

export function askToolSpec(target: Agent): ToolSpec {
  return {
    name: askToolName(target.id),
    description: `Ask ${target.name} to handle one part of a message that has several separate requests. ${target.description}`,
    parameters: ASK_PARAMETERS,
  };
}

export const DELEGATION_INSTRUCTIONS = [
  'When one message holds several separate requests for different specialists, call the ask_<specialist> tools, one per part and all in the same response, each with that part of the message.',
  'Then reply once, combining their answers: keep every fact, id and question exactly as they gave it and add nothing of your own. If a specialist waits for the customer to confirm an action, say so briefly; the confirmation question is shown after your reply, and further ones (confirmation_queued) one at a time after that.',
].join('\n');

/** For a specialist that can hand back to the agent that splits messages: so no part of one is dropped. */
export function splitBackInstructions(splitter: Agent): string {
  return `When a message holds several separate requests and some are not for you, call ${transferToolName(splitter.id)} at once, without answering any part: ${splitter.name} splits the message so that every part reaches the right specialist.`;
}

/**
 * Who keeps the conversation after a fan-out, so a follow-up reaches the agent that owns the open part:
 * the specialist waiting for a confirmation; else the first whose answer ends in a question; else the caller.
 */
export function ownerAfterDelegation(
  answers: Array<{ agentId: string; answer: DelegateAnswer }>,
  pendingAgent: string | undefined,
): string | undefined {
  if (pendingAgent && answers.some((a) => a.agentId === pendingAgent)) return pendingAgent;
  return answers.find((a) => a.answer.answer.trim().endsWith('?'))?.agentId;
}
