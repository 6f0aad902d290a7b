import type { ChatMessage } from '../types.js';
import { bareIds, ENTITIES } from './entities.js';

/** Free-text arguments are filled from what the customer wrote. */
const TITLE_MAX_CHARS = 80;
const DESCRIPTION_USER_MESSAGES = 3;

/** Every distinct id or address of `entity` in `text`, in the order written. */
export function allMatches(text: string, entity: string): string[] {
  const spec = ENTITIES[entity]!;
  return [...new Set((text.match(spec.pattern) ?? []).map((m) => spec.normalize(m)))];
}

function lastMatch(text: string, entity: string): string | undefined {
  const spec = ENTITIES[entity]!;
  const matches = text.match(spec.pattern);
  return matches?.length ? spec.normalize(matches[matches.length - 1]!) : undefined;
}

/**
 * Searches the current message first, then the thread from newest to oldest (user words and earlier tool arguments).
 * In the current message a number alone counts too ("sorry, it's 1003"): it corrects an id given before.
 */
export function findEntity(entity: string, current: string, history: ChatMessage[]): string | undefined {
  const inCurrent = lastMatch(current, entity) ?? bareIds(current, entity).at(-1);
  if (inCurrent) return inCurrent;
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    const texts =
      m.role === 'user'
        ? [m.content]
        : m.role === 'assistant'
          ? (m.tool_calls ?? []).map((c) => c.function.arguments)
          : [];
    for (const text of texts) {
      const found = lastMatch(text, entity);
      if (found) return found;
    }
  }
  return undefined;
}

export function entityFor(argument: string): string | undefined {
  return Object.keys(ENTITIES).find((entity) => argument === entity || argument.endsWith(`_${entity}`));
}

/** An argument that takes an identifier the engine has no entity for: a tracking number, a SKU, a ticket code. */
const IDENTIFIER_ARGUMENT = /(?:^|_)(?:id|number|code|ref|reference|sku|tracking)(?:_|$)/i;
/** What such an identifier looks like when a customer writes one: TRK-55501, SKU_2231, AB12345, 88312. */
const IDENTIFIER = /\b(?:[A-Za-z]{1,10}[-_]?\d{3,}[A-Za-z0-9-]*|\d{4,})\b/g;

/** A code of letters and digits (TRK-55501, SKU_2231): an id, where digits alone may be an amount or a year. */
const CODE = /\b[A-Za-z]{1,10}[-_]?\d{3,}[A-Za-z0-9-]*\b/;

/** Whether a text holds something that looks like an id: an order or invoice id, a tracking number, a ticket code. */
export function namesIdentifier(text: string): boolean {
  return (
    text.match(CODE) !== null || Object.keys(ENTITIES).some((e) => e !== 'email' && allMatches(text, e).length > 0)
  );
}

/** The identifier in the current message, else the newest one a customer wrote earlier in the thread. */
function identifier(current: string, history: ChatMessage[]): string | undefined {
  for (const text of [
    current,
    ...history
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .reverse(),
  ]) {
    const found = text.match(IDENTIFIER);
    if (found?.length) return found[found.length - 1];
  }
  return undefined;
}

function freeText(argument: string, current: string, history: ChatMessage[]): string | undefined {
  if (IDENTIFIER_ARGUMENT.test(argument)) return identifier(current, history);
  if (/query|question|search|topic/.test(argument)) return current;
  if (/title|summary|subject/.test(argument))
    return current.length > TITLE_MAX_CHARS ? `${current.slice(0, TITLE_MAX_CHARS - 1)}…` : current;
  // Why the customer wants this now is what they just wrote; earlier messages were about other things as often as not.
  if (/reason/.test(argument)) return current;
  if (/description|details|body|message/.test(argument)) {
    const recent = history
      .filter((m) => m.role === 'user')
      .slice(-DESCRIPTION_USER_MESSAGES)
      .map((m) => m.content);
    return [...new Set([...recent, current])].join('\n');
  }
  return undefined;
}

function factFor(argument: string, entity: string, facts: Record<string, string>): string | undefined {
  const value = facts[argument] ?? facts[entity] ?? facts[`customer_${entity}`];
  return value !== undefined ? lastMatch(value, entity) : undefined;
}

export interface FilledArguments {
  args: Record<string, string>;
  /** Required arguments nothing could fill, with their schema descriptions. */
  missing: Array<{ name: string; description: string | undefined }>;
}

interface ObjectSchema {
  properties?: Record<string, { description?: string }>;
  required?: string[];
}

/**
 * Fills a tool's arguments from the conversation, by entity extraction and free text, guided by its JSON Schema.
 * The fact sheet answers what the visible history no longer holds (compacted away, or told to another agent).
 */
export function fillArguments(
  parameters: Record<string, unknown>,
  current: string,
  history: ChatMessage[],
  facts: Record<string, string> = {},
): FilledArguments {
  const schema = parameters as ObjectSchema;
  const required = new Set(schema.required ?? []);
  const args: Record<string, string> = {};
  const missing: FilledArguments['missing'] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const entity = entityFor(name);
    // Optional free text (a cancellation reason, say) is left out rather than guessed from unrelated words.
    const value = entity
      ? (findEntity(entity, current, history) ?? factFor(name, entity, facts))
      : required.has(name)
        ? freeText(name, current, history)
        : undefined;
    if (value !== undefined) args[name] = value;
    else if (required.has(name)) missing.push({ name, description: property.description });
  }
  return { args, missing };
}

/**
 * Whether a tool looks a record up by its id (an order, an invoice, a shipment's tracking number): a look-up, not
 * a filing or a change.
 */
export function looksUpById(tool: { parameters: Record<string, unknown> }): boolean {
  const required = (tool.parameters as { required?: string[] }).required ?? [];
  return required.some((name) => {
    const entity = entityFor(name);
    return entity !== undefined ? entity !== 'email' : IDENTIFIER_ARGUMENT.test(name);
  });
}

/**
 * "Where are ORD-1001 and ORD-1003?": the arguments of one call per id the message names, as a model would make, so
 * none is dropped. Only for a tool that takes a single id or address; otherwise `args` alone.
 */
export function argumentsForEach(
  parameters: Record<string, unknown>,
  args: Record<string, string>,
  text: string,
): Array<Record<string, string>> {
  const properties = Object.keys((parameters as { properties?: Record<string, unknown> }).properties ?? {});
  const keyed = properties.flatMap((name) => {
    const entity = entityFor(name);
    return entity ? [{ name, entity }] : [];
  });
  if (keyed.length !== 1) return [args];
  const [{ name, entity }] = keyed as [{ name: string; entity: string }];
  const named = allMatches(text, entity);
  if (named.length < 2) return [args];
  return named.map((value) => ({ ...args, [name]: value }));
}

/** The words around an email address given on its own: "my email is …", "you can reach me at …". */
const EMAIL_FILLER =
  /\b(?:my|the|e-?mail|mail|address|is|it'?s|its|here|you|can|reach|me|at|contact|use|this|that|please|ok|okay|sure|on|for|of|it|order|invoice|account)\b/gi;

/** The email address of a message that gives one and says nothing else ("my email is li.wei@example.com"). */
export function emailGivenAlone(text: string): string | undefined {
  const [email, ...more] = allMatches(text, 'email');
  if (!email || more.length > 0) return undefined;
  const rest = text
    .replace(ENTITIES.email!.pattern, ' ')
    .replace(EMAIL_FILLER, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return rest === '' ? email : undefined;
}
