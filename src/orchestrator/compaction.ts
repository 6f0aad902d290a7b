import type { ThreadState } from '../conversation/threadState.js';
import { quote, transcript } from '../escalation/summary.js';
import type { ChatMessage } from '../model/types.js';
import { transferTarget } from './protocol.js';

/**
 * Tokens are estimated at four characters each (the usual rule of thumb for English with OpenAI tokenizers)
 * plus a few per message for the wire format: a budget check needs to be cheap and roughly right, and the
 * API's own usage figures are what is recorded and billed.
 */
const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 4;

/** The running summary is itself bounded, so a thread of any length keeps a prompt of about the same size. */
export const SUMMARY_MAX_CHARS = 1_600;
const QUOTE_CHARS = 160;

export interface CompactionOptions {
  /** History above this many estimated tokens is compacted; 0 turns compaction off. */
  tokenBudget: number;
  /** At least this many newest messages are kept verbatim (the cut moves back to a turn's start, never splitting one). */
  keepMessages: number;
  /** Tool results of earlier turns are cut to this many characters in history. */
  toolResultChars: number;
}

/** Writes the new running summary from the previous one and the messages leaving history. */
export type CompactionSummarizer = (previous: string | null, older: ChatMessage[]) => Promise<string>;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimateHistoryTokens(history: ChatMessage[]): number {
  let chars = 0;
  for (const m of history) {
    chars += m.content?.length ?? 0;
    if (m.role === 'assistant')
      for (const call of m.tool_calls ?? []) chars += call.function.name.length + call.function.arguments.length;
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * history.length;
}

/**
 * Compaction folds history down to this share of the budget: the prompt then stays within about a fifth of its
 * size from turn to turn, and the summary is rewritten every few turns rather than on every one.
 */
export const COMPACTION_TARGET_SHARE = 0.8;

/**
 * Where the kept part starts: the earliest customer message (a turn's start) from which the rest fits in
 * `targetTokens`, but never later than `keep` messages from the end; 0 when nothing can go.
 */
export function compactionCut(history: ChatMessage[], keep: number, targetTokens: number): number {
  const latest = Math.max(0, history.length - keep);
  const suffix = new Array<number>(history.length + 1).fill(0);
  for (let i = history.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + estimateHistoryTokens([history[i]!]);
  let lastTurnStart = 0;
  for (let i = 0; i <= latest && i < history.length; i++) {
    if (history[i]!.role !== 'user') continue;
    if (suffix[i]! <= targetTokens) return i;
    lastTurnStart = i;
  }
  return lastTurnStart;
}

/**
 * Earlier turns' tool results beyond `maxChars` are cut in place; the current turn's model calls saw them whole.
 * The marker counts towards `maxChars`, so a result cut once is never cut again (and keeps its original length).
 */
export function truncateToolResults(history: ChatMessage[], maxChars: number): void {
  for (const m of history) {
    if (m.role === 'tool' && m.content.length > maxChars) {
      const marker = `… [cut from ${m.content.length} characters]`;
      m.content = `${m.content.slice(0, Math.max(0, maxChars - marker.length))}${marker}`;
    }
  }
}

export interface Compaction {
  messages: number;
  tokensBefore: number;
  tokensAfter: number;
}

/**
 * Folds the turns before the kept window into the running summary once history passes the budget. Facts and a
 * pending approval live outside history, so they stay verbatim whatever is folded.
 */
export async function compactHistory(
  state: ThreadState,
  options: CompactionOptions,
  summarize: CompactionSummarizer,
): Promise<Compaction | undefined> {
  if (options.tokenBudget <= 0) return undefined;
  const tokensBefore = estimateHistoryTokens(state.history);
  if (tokensBefore <= options.tokenBudget) return undefined;
  const cut = compactionCut(
    state.history,
    options.keepMessages,
    Math.floor(options.tokenBudget * COMPACTION_TARGET_SHARE),
  );
  if (cut === 0) return undefined;
  const older = state.history.slice(0, cut);
  state.summary = cap(await summarize(state.summary, older));
  state.history = state.history.slice(cut);
  return { messages: older.length, tokensBefore, tokensAfter: estimateHistoryTokens(state.history) };
}

/** Keeps the newest lines within SUMMARY_MAX_CHARS, marking that older ones were dropped. */
function cap(summary: string): string {
  if (summary.length <= SUMMARY_MAX_CHARS) return summary;
  const lines = summary.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    size += lines[i]!.length + 1;
    if (size > SUMMARY_MAX_CHARS - 40) break;
    kept.unshift(lines[i]!);
  }
  return ['- (earlier parts of the conversation omitted)', ...kept.filter((l) => !l.startsWith('- (earlier'))].join(
    '\n',
  );
}

/** Extractive, for the offline engine: the customer's words, what the bot did, and what it answered. */
export const extractiveCompaction: CompactionSummarizer = async (previous, older) => {
  const lines = previous ? previous.split('\n') : [];
  for (const m of older) {
    if (m.role === 'user') lines.push(`- Customer: "${quote(m.content, QUOTE_CHARS)}"`);
    if (m.role !== 'assistant') continue;
    for (const call of m.tool_calls ?? []) {
      const args = call.function.arguments.trim();
      if (transferTarget(call.function.name) === undefined)
        lines.push(
          `- ${m.agent ?? 'Bot'} ran ${call.function.name}${args === '' || args === '{}' ? '' : ` ${quote(args, QUOTE_CHARS)}`}`,
        );
    }
    if (m.content) lines.push(`- ${m.agent ?? 'Bot'} answered: "${quote(m.content, QUOTE_CHARS)}"`);
  }
  return cap(lines.join('\n'));
};

export const COMPACTION_INSTRUCTIONS = [
  'You keep the running summary of a customer-support conversation, for the support bot that continues it.',
  'Merge the summary so far with the new part of the conversation into at most eight short bullet points ("- …"):',
  'what the customer wants, what was found or done (ids, statuses, amounts, dates exactly as stated), and what is still open.',
  'Only state what the conversation says. Drop small talk.',
].join('\n');

export function compactionPrompt(previous: string | null, older: ChatMessage[]): string {
  return `Summary so far:\n${previous ?? '(none)'}\n\nNew part of the conversation:\n${transcript(older)}`;
}
