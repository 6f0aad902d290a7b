import { z } from 'zod';
import type { ToolSpec } from '../model/types.js';
import type { Agent } from './agent.js';
import { transferToolName } from './handoff.js';
import { toolParameters } from './tool.js';

/**
 * A specialist consulted as a tool: `ask_<agent>` runs it on one part of the customer's message, with its own
 * context and tool loop, and returns its answer for the caller to merge. Several such calls in one response run
 * side by side. Unlike a handoff, the caller keeps the conversation.
 */
const ASK_PREFIX = 'ask_';

export function askToolName(agentId: string): string {
  return `${ASK_PREFIX}${agentId}`;
}

export function askTarget(toolName: string): string | undefined {
  return toolName.startsWith(ASK_PREFIX) ? toolName.slice(ASK_PREFIX.length) : undefined;
}

export const askInputSchema = z.object({
  request: z.string().trim().min(1).max(2_000).describe("The part of the customer's message this specialist should handle, in their words"),
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

/** What a consulted specialist returns to the caller (JSON in the tool message). */
export interface DelegateAnswer {
  agent: string;
  answer: string;
  /** The question the customer must confirm before the specialist's action runs, when there is one. */
  waiting_for_confirmation?: string;
  /** A question of this specialist's to be asked after another's is answered (one question at a time). */
  confirmation_queued?: string;
  /** Set when the specialist could not finish its part (its model call failed); `answer` is then empty. */
  error?: string;
  /** What the specialist's tools did before it failed (a ticket filed, say), so the caller can still tell the customer. */
  done_before_error?: string[];
}

/** The error of a specialist that could not finish its part. */
export const DELEGATE_FAILED = 'This specialist could not finish this part just now; the customer should send it again in a moment.';
/** How the offline merge tells the customer about such a part. */
export const DELEGATE_FAILED_REPLY = "Sorry, I couldn't finish this part just now. Please send it again in a moment.";

export function parseDelegateAnswer(content: string): DelegateAnswer | undefined {
  try {
    const value = JSON.parse(content) as Partial<DelegateAnswer>;
    return typeof value.agent === 'string' && typeof value.answer === 'string' ? (value as DelegateAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** The offline engine's merge: each specialist's answer under its name, in the order the parts were asked. */
export function mergeDelegateAnswers(answers: DelegateAnswer[]): string {
  const said = (a: DelegateAnswer) => {
    if (a.error) return DELEGATE_FAILED_REPLY;
    const waiting =
      a.waiting_for_confirmation ? 'That needs your confirmation; the question follows.'
      : a.confirmation_queued ? "That needs your confirmation too: I'll ask once you've answered the question below."
      : '';
    // A queued action's own words would only say the same as the note.
    return [a.confirmation_queued ? '' : a.answer, waiting].filter(Boolean).join(' ');
  };
  if (answers.length === 1) return said(answers[0]!);
  return answers.map((a) => `**${a.agent}:** ${said(a)}`).join('\n\n');
}

/**
 * Who keeps the conversation after a fan-out, so a follow-up reaches the agent that owns the open part:
 * the specialist waiting for a confirmation; else the first whose answer ends in a question; else the caller.
 */
export function ownerAfterDelegation(answers: Array<{ agentId: string; answer: DelegateAnswer }>, pendingAgent: string | undefined): string | undefined {
  if (pendingAgent && answers.some((a) => a.agentId === pendingAgent)) return pendingAgent;
  return answers.find((a) => a.answer.answer.trim().endsWith('?'))?.agentId;
}
