/**
 * The run loop's protocol: everything the run loop and a model must agree on, and all a model may know of the loop.
 * A model (the OpenAI-compatible provider, the offline engine) imports this module and nothing else from the
 * orchestrator, so a change to the loop's insides cannot break a model in a way no type shows. It holds:
 *
 * - the built-in tool names: `transfer_to_<agent>` (handoffs), `ask_<agent>` (consulting a specialist),
 *   `escalate_to_human` and `note_fact`;
 * - the tool results the loop writes for actions that did not run (approvals);
 * - the answer a consulted specialist returns, and the offline merge of several;
 * - the result a tool returns instead of someone else's record;
 * - the grounding check (every id, figure and date of a draft must be in its sources);
 * - the shapes a model is handed: the agents, their tools, and the router that reads a message.
 */
import { z } from 'zod';
import { parseJson } from '../parseJson.js';
import type { Agent } from './agent.js';
import type { RequestPart, RouteDecision } from './intentRouter.js';

export type { Agent, AgentRegistry } from './agent.js';
export { isEmptySearch } from './citations.js';
export { groundTruth, withoutUnsupported } from './grounding.js';
export { afterAcknowledgement, type RequestPart, type Route, type RouteDecision } from './intentRouter.js';
export { groundingVerdict } from './review.js';
export type { AnsweringAgent, Tool } from './tool.js';

// Built-in tool names.

const TRANSFER_PREFIX = 'transfer_to_';
const ASK_PREFIX = 'ask_';
/** Hands the conversation to the support team (offered while a staff channel is connected). */
export const ESCALATE_TOOL_NAME = 'escalate_to_human';
/**
 * How an answer offers a person. The offline engine takes a "yes" right after it as a request for one, so an answer
 * that offers a person in these words is taken at its word.
 */
export const PERSON_OFFER = 'Would you like me to bring in a person from our support team?';
/** Records a fact on the thread's shared fact sheet. */
export const NOTE_FACT_TOOL_NAME = 'note_fact';

/** A handoff is an ordinary function tool, so the model, the logs and the tests see one mechanism. */
export function transferToolName(agentId: string): string {
  return `${TRANSFER_PREFIX}${agentId}`;
}

export function transferTarget(toolName: string): string | undefined {
  return toolName.startsWith(TRANSFER_PREFIX) ? toolName.slice(TRANSFER_PREFIX.length) : undefined;
}

/**
 * A specialist consulted as a tool: `ask_<agent>` runs it on one part of the customer's message, with its own
 * context and tool loop, and returns its answer (DelegateAnswer) for the caller to merge.
 */
export function askToolName(agentId: string): string {
  return `${ASK_PREFIX}${agentId}`;
}

export function askTarget(toolName: string): string | undefined {
  return toolName.startsWith(ASK_PREFIX) ? toolName.slice(ASK_PREFIX.length) : undefined;
}

// Results of actions that wait for, or did not get, the customer's yes.

export const APPROVAL_DECLINED = 'The user declined.';
export const APPROVAL_NOT_CONFIRMED = 'Not run: the user did not confirm';
/** The result of an action whose question went unanswered through several replies. */
export const APPROVAL_UNANSWERED = `${APPROVAL_NOT_CONFIRMED}: they wrote about other things instead of answering, so it was let go.`;
/** The result of an action asked for while the queue of actions to confirm is full. */
export const ANOTHER_APPROVAL_WAITING =
  'Not run: several actions are already waiting for the user to confirm. Ask for this one afterwards.';
/** The result of an action asked for while another waits for confirmation: the user is asked about it next. */
export const APPROVAL_QUEUED =
  'Not run yet: this action needs the user to confirm. They will be asked right after they answer about the action before it.';
/** The result of an action asked for again while it already waits for confirmation. */
export const APPROVAL_ALREADY_WAITING = 'Not run yet: this exact action is already waiting for the user to confirm.';
/** The result of an action that needs confirmation, asked for in the same response as a hand-over to staff. */
export const APPROVAL_SKIPPED_FOR_STAFF =
  'Not run: the conversation went to the support team, who can do this if the customer still wants it.';
/** The result of the action just asked about: the user has been asked. */
export const APPROVAL_ASKED =
  'Not run yet: this action needs the user to confirm. They have been asked; the result will follow once they answer.';

// What a consulted specialist answers.

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
export const DELEGATE_FAILED =
  'This specialist could not finish this part just now; the customer should send it again in a moment.';
/** How the offline merge tells the customer about such a part. */
export const DELEGATE_FAILED_REPLY = "Sorry, I couldn't finish this part just now. Please send it again in a moment.";

/** The fields every answer has; the rest are read as written. */
const delegateAnswerSchema = z.looseObject({ agent: z.string(), answer: z.string() });

export function parseDelegateAnswer(content: string): DelegateAnswer | undefined {
  return parseJson(content, delegateAnswerSchema) as DelegateAnswer | undefined;
}

/** The offline engine's merge: each specialist's answer under its name, in the order the parts were asked. */
export function mergeDelegateAnswers(answers: DelegateAnswer[]): string {
  const said = (a: DelegateAnswer) => {
    if (a.error) return DELEGATE_FAILED_REPLY;
    const waiting = a.waiting_for_confirmation
      ? 'That needs your confirmation; the question follows.'
      : a.confirmation_queued
        ? "That needs your confirmation too: I'll ask once you've answered the question below."
        : '';
    // A queued action's own words would only say the same as the note.
    return [a.confirmation_queued ? '' : a.answer, waiting].filter(Boolean).join(' ');
  };
  if (answers.length === 1) return said(answers[0]!);
  return answers.map((a) => `**${a.agent}:** ${said(a)}`).join('\n\n');
}

// A record withheld from someone who has not shown it is theirs (see requester.ts).

export { IDENTITY_REQUIRED, type IdentityRequired, isIdentityRequired } from './requester.js';

// What reads a customer's message for a model that does not generate.

/** Routes a message to a specialist or a conversation intent; trained by the run loop's owner and handed to the model. */
export interface RequestRouter {
  /** The agents the default agent can hand to. */
  readonly specialists: Agent[];
  /** Where a message goes; small talk before a request gives way to the request. */
  routeRequest(text: string): Promise<RouteDecision>;
  /** The message split into requests for different specialists; one part (or none) when it is about one thing. */
  splitRequests(text: string): Promise<RequestPart[]>;
}
