import { recordUsage, type ThreadState } from '../conversation/threadState.js';
import type { Logger } from '../log.js';
import type { ChatMessage, ModelProvider, Usage } from '../model/types.js';
import { ESCALATE_TOOL_NAME, transferTarget } from '../orchestrator/protocol.js';
import type { Telemetry } from '../telemetry.js';
import { ESCALATED_REPLY } from './escalationTool.js';

/** The name the hand-over summary's model call is counted under, in the thread's usage by agent and in telemetry. */
export const SUMMARY_STEP = 'escalation_summary';

/** A few lines for the person who picks the conversation up, and the model call that wrote them, if one did. */
export interface HandoverSummary {
  text: string;
  call?: { model: string; usage: Usage; ms: number };
}

/** Turns a conversation into a hand-over summary. */
export type Summarizer = (history: ChatMessage[]) => Promise<HandoverSummary>;

/** The extractive summary as a Summarizer, for the offline engine: no model call. */
export const extractiveSummarizer: Summarizer = async (history) => ({ text: extractiveSummary(history) });

const QUOTE_CHARS = 200;
const RECENT_USER_MESSAGES = 3;
const TRANSCRIPT_MESSAGES = 40;
const TRANSCRIPT_MESSAGE_CHARS = 1_000;

const SUMMARY_INSTRUCTIONS = [
  'You write hand-over notes for a human customer-support agent who is taking over a chat from a support bot.',
  'Summarize the conversation below in at most five short bullet points: what the customer wants, what the bot already found or did (ids, statuses, amounts), and what is still open.',
  'Only state facts that appear in the conversation. Write plain text bullets starting with "- ".',
].join('\n');

/** `text` on one line, cut to `chars` with an ellipsis. */
export function quote(text: string, chars = QUOTE_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat;
}

/** Extractive: the customer's own words, the tools the bot used with their arguments, and its last answer. */
export function extractiveSummary(history: ChatMessage[]): string {
  const said = history
    .filter((m): m is Extract<ChatMessage, { role: 'user' }> => m.role === 'user')
    .map((m) => m.content);
  if (said.length === 0) return '- The customer has not written anything yet.';
  const lines = [`- First message: "${quote(said[0]!)}"`];
  const recent = said.slice(1).slice(-RECENT_USER_MESSAGES);
  if (said.length > RECENT_USER_MESSAGES + 1) lines.push(`- (${said.length - RECENT_USER_MESSAGES - 1} more messages)`);
  for (const text of recent) lines.push(`- Then: "${quote(text)}"`);
  const actions: string[] = [];
  for (const m of history) {
    if (m.role !== 'assistant') continue;
    for (const call of m.tool_calls ?? []) {
      if (transferTarget(call.function.name) !== undefined || call.function.name === ESCALATE_TOOL_NAME) continue;
      const args = call.function.arguments.trim();
      actions.push(`${call.function.name}${args === '' || args === '{}' ? '' : ` ${quote(args)}`}`);
    }
  }
  if (actions.length > 0) lines.push(`- Bot actions: ${[...new Set(actions)].join('; ')}`);
  const answers = history.flatMap((m) =>
    m.role === 'assistant' && m.content && m.content !== ESCALATED_REPLY ? [m.content] : [],
  );
  const answer = answers.at(-1);
  if (answer) lines.push(`- Last bot answer: "${quote(answer)}"`);
  return lines.join('\n');
}

/**
 * What staff read on the escalation card: the summary of the visible history, then what the thread carries
 * outside it: the running summary of turns compacted away, and the shared fact sheet with who wrote each fact and when.
 */
export function handoverNotes(summary: string, state: Pick<ThreadState, 'summary' | 'facts'>): string {
  const parts = [summary];
  if (state.summary) parts.push(`Earlier in the conversation:\n${state.summary}`);
  const facts = Object.entries(state.facts);
  // When matters to staff: a status read an hour ago may have changed since.
  if (facts.length > 0)
    parts.push(
      `Known facts:\n${facts.map(([key, fact]) => `- ${key}: ${fact.value} (${fact.by}, ${fact.at.slice(0, 16).replace('T', ' ')} UTC)`).join('\n')}`,
    );
  return parts.join('\n\n');
}

/** The conversation as plain text for a summarizing model; tool traffic is shown as what it did. */
export function transcript(history: ChatMessage[]): string {
  return history
    .slice(-TRANSCRIPT_MESSAGES)
    .flatMap((m) => {
      if (m.role === 'user') return [`Customer: ${m.content}`];
      if (m.role === 'tool') return [`Tool result: ${m.content}`];
      if (m.role === 'assistant') {
        const calls = (m.tool_calls ?? []).map((c) => `Bot called ${c.function.name}(${c.function.arguments})`);
        return [...(m.content ? [`Bot: ${m.content}`] : []), ...calls];
      }
      return [];
    })
    .map((line) => (line.length > TRANSCRIPT_MESSAGE_CHARS ? `${line.slice(0, TRANSCRIPT_MESSAGE_CHARS)}…` : line))
    .join('\n');
}

/** Model-written, falling back to the extractive summary when the model fails (the escalation must not wait on it). */
export function modelSummarizer(provider: ModelProvider, model: string, log: Logger): Summarizer {
  return async (history) => {
    const started = performance.now();
    try {
      const response = await provider.complete({
        model,
        agent: SUMMARY_STEP,
        purpose: 'summary',
        system: SUMMARY_INSTRUCTIONS,
        messages: [{ role: 'user', content: transcript(history) }],
        tools: [],
      });
      const call = { model, usage: response.usage, ms: Math.round(performance.now() - started) };
      const text = response.text.trim();
      // An empty answer was still paid for.
      return { text: text === '' ? extractiveSummary(history) : text, call };
    } catch (err) {
      log.warn({ err }, 'escalation.summary_failed');
      return { text: extractiveSummary(history) };
    }
  };
}

/** The card's hand-over notes; a model call that wrote them counts against the thread's usage like any other. */
export async function handoverSummary(
  state: ThreadState,
  summarize: Summarizer,
  telemetry?: Telemetry,
): Promise<string> {
  const summary = await summarize(state.history);
  if (summary.call) {
    const { model, usage, ms } = summary.call;
    recordUsage(state.usage, SUMMARY_STEP, usage);
    telemetry?.emit({
      type: 'model.call',
      thread: state.thread,
      agent: SUMMARY_STEP,
      model,
      purpose: 'summary',
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      toolCalls: 0,
      ms,
    });
  }
  return handoverNotes(summary.text, state);
}
