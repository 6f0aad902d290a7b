import { z } from 'zod';
import type { RecordStore } from '../conversation/store.js';
import type { Logger } from '../log.js';
import type { ToolCall } from '../model/types.js';
import type { Requester } from './requester.js';
import type { FactWriter, Tool } from './tool.js';

/** Why a tool call produced no normal result; every kind becomes a tool message the model can read and correct. */
export type ToolFailureKind = 'ToolArgumentsError' | 'UnknownToolError' | 'ToolTimeoutError' | 'ToolRunError';

/** What a call is checked against: a tool, or a built-in the run loop handles itself (escalate_to_human). */
export interface CallableSchema {
  readonly name: string;
  readonly input: z.ZodType;
}

export type ParsedCall<T extends CallableSchema = Tool> =
  | { ok: true; tool: T; input: unknown }
  | { ok: false; kind: ToolFailureKind; message: string };

export interface ToolOutcome {
  ok: boolean;
  /** What the tool returned, when ok. */
  value?: unknown;
  /** The tool message content, as the model will read it. */
  content: string;
  kind?: ToolFailureKind;
  ms: number;
}

/** Tool results longer than this are cut before they enter history and the next prompt. */
export const MAX_TOOL_RESULT_CHARS = 8_000;

export function parseToolCall<T extends CallableSchema>(call: ToolCall, tools: T[]): ParsedCall<T> {
  const tool = tools.find((t) => t.name === call.function.name);
  if (!tool) {
    const names = tools.map((t) => t.name).join(', ') || 'none';
    return {
      ok: false,
      kind: 'UnknownToolError',
      message: `There is no tool named "${call.function.name}". Available tools: ${names}.`,
    };
  }
  let raw: unknown;
  try {
    raw = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch {
    return {
      ok: false,
      kind: 'ToolArgumentsError',
      message: `The arguments for ${tool.name} were not valid JSON. Call it again with a JSON object that matches its schema.`,
    };
  }
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      kind: 'ToolArgumentsError',
      message: `Invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error)}. Call it again with corrected arguments.`,
    };
  }
  return { ok: true, tool, input: parsed.data };
}

export function formatToolResult(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return text.length > MAX_TOOL_RESULT_CHARS ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}… [truncated]` : text;
}

export interface ToolRunContext {
  thread: string;
  userId: string;
  requester: Requester;
  agent: string;
  log: Logger;
  records: RecordStore;
  facts: FactWriter;
  defaultTimeoutMs: number;
}

class ToolTimeout extends Error {}

/** Runs one validated call (or, with `step`, its check before approval) with a timeout; never throws. */
export async function executeTool(
  tool: Tool,
  input: unknown,
  ctx: ToolRunContext,
  step: 'run' | 'precheck' = 'run',
): Promise<ToolOutcome> {
  const started = performance.now();
  const timeoutMs = tool.timeoutMs ?? ctx.defaultTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ToolTimeout());
    }, timeoutMs);
  });
  try {
    const value = await Promise.race([
      tool[step](input, {
        thread: ctx.thread,
        userId: ctx.userId,
        requester: ctx.requester,
        agent: ctx.agent,
        signal: controller.signal,
        log: ctx.log,
        records: ctx.records,
        facts: ctx.facts,
      }),
      timeout,
    ]);
    return { ok: true, value, content: formatToolResult(value), ms: performance.now() - started };
  } catch (err) {
    const ms = performance.now() - started;
    if (err instanceof ToolTimeout) {
      return {
        ok: false,
        kind: 'ToolTimeoutError',
        content: `Error: ${tool.name} did not finish within ${timeoutMs} ms. It may be retried once, or tell the user it is unavailable.`,
        ms,
      };
    }
    ctx.log.warn({ thread: ctx.thread, tool: tool.name, err }, 'tool.error');
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, kind: 'ToolRunError', content: `Error: ${tool.name} failed: ${reason}`, ms };
  } finally {
    clearTimeout(timer);
  }
}
