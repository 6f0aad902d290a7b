import { z } from 'zod';
import type { RecordStore } from '../conversation/store.js';
import type { Logger } from '../log.js';
import type { ToolSpec } from '../model/types.js';
import type { Requester } from './requester.js';

/** What tools and agents may write to a thread's fact sheet: `key` in snake_case, one short value. */
export interface FactWriter {
  set(key: string, value: string): void;
  get(key: string): string | undefined;
}

/** What a tool sees of the world while it runs. */
export interface ToolContext {
  thread: string;
  /** Platform user id of the person whose message started this turn (or who approved the call). */
  userId: string;
  /** That person, and the email addresses that show which records are theirs: check with `isOwner` before showing any. */
  requester: Requester;
  agent: string;
  /** Aborted when the tool's timeout passes. */
  signal: AbortSignal;
  log: Logger;
  /** Durable key/value records shared by all threads, for tool data such as tickets and order changes. */
  records: RecordStore;
  /** The thread's shared fact sheet (order id, email, plan…); what a tool writes here every agent sees. */
  facts: FactWriter;
}

export interface ToolDefinition<S extends z.ZodType, R> {
  name: string;
  description: string;
  input: S;
  run(input: z.output<S>, context: ToolContext): R | Promise<R>;
  timeoutMs?: number;
  /** A tool that needs approval does not run until the requesting user confirms. */
  needsApproval?: boolean | ((input: z.output<S>) => boolean);
  /** The confirmation question shown to the user; a generic one is used when absent. */
  approvalPrompt?: (input: z.output<S>) => string;
  /**
   * Runs before the user is asked to confirm. A result here means the action cannot happen (no such order, already
   * shipped): it becomes the call's result, so nobody confirms something that would then be refused. It must not act
   * (noting facts is fine), and `run` checks again, since things may change before the user answers.
   */
  precheck?: (input: z.output<S>, context: ToolContext) => R | undefined | Promise<R | undefined>;
  /** What the user is told while the tool runs, e.g. "Looking up your order…" (Slack shows it as the thread status). */
  status?: string;
  /** Example requests that call for this tool; they train the offline engine's tool choice. */
  examples?: string[];
  /**
   * Words a result for the customer; the offline engine answers with it, instead of a model. `by` is the agent
   * answering, so the wording offers only what that agent can do next.
   */
  answerTemplate?: (result: R, input: z.output<S>, by: AnsweringAgent) => string;
}

/** What a tool's answer template knows of the agent whose answer it words, and of the message it answers. */
export interface AnsweringAgent {
  /** The names of the tools the agent has. */
  readonly tools: readonly string[];
  /** The customer's message the answer replies to: "ORD-1003 says delivered but I never got it". */
  readonly request?: string;
  /** Whether a person can be brought in (a staff channel is connected): only then may the answer offer one. */
  readonly people?: boolean;
}

/** A tool with its input type erased, as the runner holds it; `run` receives already-validated input. */
export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType;
  readonly parameters: Record<string, unknown>;
  readonly timeoutMs: number | undefined;
  needsApproval(input: unknown): boolean;
  /** Whether some input needs approval: an action with consequences, not a lookup. */
  readonly mayNeedApproval: boolean;
  approvalPrompt(input: unknown): string;
  readonly status: string;
  run(input: unknown, context: ToolContext): Promise<unknown>;
  /** The refusal that makes asking for approval pointless, or undefined (always, for a tool without a precheck). */
  precheck(input: unknown, context: ToolContext): Promise<unknown>;
  readonly examples: string[];
  /** The tool's own wording of a result, if it has a template. */
  answer(result: unknown, input: unknown, by: AnsweringAgent): string | undefined;
}

const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The JSON Schema the model is given for a tool's zod input schema (converted once per tool: it is slow). */
export function toolParameters(input: z.ZodType): Record<string, unknown> {
  const parameters = z.toJSONSchema(input, { io: 'input' }) as Record<string, unknown>;
  delete parameters.$schema;
  return parameters;
}

export function defineTool<S extends z.ZodType, R>(definition: ToolDefinition<S, R>): Tool {
  if (!TOOL_NAME_PATTERN.test(definition.name)) {
    throw new Error(`tool name "${definition.name}" must match ${TOOL_NAME_PATTERN}`);
  }
  const parameters = toolParameters(definition.input);
  const approval = definition.needsApproval ?? false;
  return {
    name: definition.name,
    description: definition.description,
    input: definition.input,
    parameters,
    timeoutMs: definition.timeoutMs,
    needsApproval: (input) => (typeof approval === 'function' ? approval(input as z.output<S>) : approval),
    mayNeedApproval: approval !== false,
    approvalPrompt: (input) =>
      definition.approvalPrompt?.(input as z.output<S>) ??
      `Please confirm: run ${definition.name} with ${JSON.stringify(input)}?`,
    status: definition.status ?? `Running ${definition.name.replace(/_/g, ' ')}…`,
    run: async (input, context) => definition.run(input as z.output<S>, context),
    precheck: async (input, context) => definition.precheck?.(input as z.output<S>, context),
    examples: definition.examples ?? [],
    answer: (result, input, by) => definition.answerTemplate?.(result as R, input as z.output<S>, by),
  };
}

export function toolSpec(tool: Tool): ToolSpec {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}
