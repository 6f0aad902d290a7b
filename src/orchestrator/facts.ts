import { z } from 'zod';
import type { Fact, ThreadState } from '../conversation/threadState.js';
import { NOTE_FACT_TOOL_NAME } from './protocol.js';
import { defineTool } from './tool.js';

/** The fact sheet is shown to every agent on every call, so it is kept short. */
export const MAX_FACTS_PER_THREAD = 40;
export const MAX_FACT_VALUE_CHARS = 200;
const FACT_KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

export class FactError extends Error {
  readonly kind = 'FactError';
}

/**
 * Writes one fact, stamped with who wrote it and when. A new key beyond the sheet's limit replaces the oldest
 * fact, so the newest information always fits. Returns whether the sheet changed.
 */
export function writeFact(state: ThreadState, key: string, value: string, by: string, now = new Date()): boolean {
  if (!FACT_KEY_PATTERN.test(key)) throw new FactError(`fact key "${key}" must be snake_case, at most 40 characters`);
  const trimmed = value.replace(/\s+/g, ' ').trim().slice(0, MAX_FACT_VALUE_CHARS);
  if (trimmed === '') throw new FactError(`fact "${key}" has an empty value`);
  const current = state.facts[key];
  if (current?.value === trimmed) return false;
  const keys = Object.keys(state.facts);
  if (!current && keys.length >= MAX_FACTS_PER_THREAD) {
    const oldest = keys.reduce((a, b) => (state.facts[a]!.at <= state.facts[b]!.at ? a : b));
    delete state.facts[oldest];
  }
  state.facts[key] = { value: trimmed, by, at: now.toISOString() };
  return true;
}

/** The sheet as the model reads it, one line per fact with its source. */
export function describeFacts(facts: Record<string, Fact>): string | undefined {
  const entries = Object.entries(facts);
  if (entries.length === 0) return undefined;
  const lines = entries.map(
    ([key, fact]) => `- ${key}: ${fact.value} (from ${fact.by}, ${fact.at.slice(0, 16).replace('T', ' ')} UTC)`,
  );
  return `Known facts about this conversation (shared by all agents; trust them over older messages):\n${lines.join('\n')}`;
}

/** Offered to every agent: the model records what the customer told it, for the other agents and for staff. */
export const noteFact = defineTool({
  name: NOTE_FACT_TOOL_NAME,
  description:
    'Record a fact about this customer or request on the shared fact sheet (e.g. key "customer_email", "product", "plan", "order_id"), so other agents and support staff know it. Use it for details the customer states; tool results are recorded automatically.',
  input: z.object({
    key: z.string().regex(FACT_KEY_PATTERN, 'snake_case, like order_id or customer_email'),
    value: z.string().trim().min(1).max(MAX_FACT_VALUE_CHARS),
  }),
  status: 'Taking a note…',
  run: ({ key, value }, { facts }) => {
    facts.set(key, value);
    return { noted: key };
  },
});
