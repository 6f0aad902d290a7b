import {
  askTarget,
  type DelegateAnswer,
  isIdentityRequired,
  parseDelegateAnswer,
  transferTarget,
} from '../../orchestrator/protocol.js';
import { parseJson } from '../../parseJson.js';
import type { AssistantMessage, ChatMessage, ToolCall, ToolSpec } from '../types.js';

/** Reading the conversation a request carries: the customer's last words, a call and its results. */

export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user') return m.content;
  }
  return '';
}

/** The conversation before the customer's last message: what was said and looked up before it. */
export function beforeLastUserMessage(messages: ChatMessage[]): ChatMessage[] {
  return messages.slice(0, messages.map((m) => m.role).lastIndexOf('user'));
}

/** The assistant's texts before the customer's last message, newest first. */
export function earlierAnswers(messages: ChatMessage[]): string[] {
  return beforeLastUserMessage(messages)
    .flatMap((m) => (m.role === 'assistant' && m.content ? [m.content] : []))
    .reverse();
}

/** The assistant's last text before the customer's last message ('' when there is none). */
export function lastAnswer(messages: ChatMessage[]): string {
  return earlierAnswers(messages)[0] ?? '';
}

export function findCall(messages: ChatMessage[], id: string): ToolCall | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'assistant') {
      const call = m.tool_calls?.find((c) => c.id === id);
      if (call) return call;
    }
  }
  return undefined;
}

/** When the last tool results answer `ask_<agent>` calls of one response, the specialists' answers, in call order. */
export function consultedAnswers(messages: ChatMessage[], call: ToolCall): DelegateAnswer[] | undefined {
  if (askTarget(call.function.name) === undefined) return undefined;
  const answers = responseResults(messages, call).flatMap(([c, content]) => {
    const answer = askTarget(c.function.name) !== undefined ? parseDelegateAnswer(content) : undefined;
    return answer ? [answer] : [];
  });
  return answers.length > 0 ? answers : undefined;
}

/** The calls of the response that made `call`, in the order made, each with its result (calls without one left out). */
export function responseResults(messages: ChatMessage[], call: ToolCall): Array<[ToolCall, string]> {
  const asking = [...messages]
    .reverse()
    .find((m): m is AssistantMessage => m.role === 'assistant' && (m.tool_calls ?? []).some((c) => c.id === call.id));
  const results = new Map(messages.flatMap((m) => (m.role === 'tool' ? [[m.tool_call_id, m.content] as const] : [])));
  const calls = asking?.tool_calls ?? [call];
  return calls.flatMap((c) => (results.has(c.id) ? [[c, results.get(c.id)!] as [ToolCall, string]] : []));
}

/** Whether the last tool result before the customer's message was a help article (a search that found passages). */
export function lastWasArticle(messages: ChatMessage[]): boolean {
  const result = beforeLastUserMessage(messages)
    .reverse()
    .find((m) => m.role === 'tool');
  const passages =
    result?.role === 'tool' ? (parseJson(result.content) as { passages?: unknown[] })?.passages : undefined;
  return Array.isArray(passages) && passages.length > 0;
}

/** The specialist the conversation was last handed to, from the transfers in its history. */
export function lastSpecialist(messages: ChatMessage[], defaultAgentId: string): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    for (const call of [...(m.tool_calls ?? [])].reverse()) {
      const target = transferTarget(call.function.name);
      if (target !== undefined && target !== defaultAgentId) return target;
    }
  }
  return undefined;
}

/** The call of the latest tool result, when that result withheld a record until the customer shows it is theirs. */
export function lastWithheldCall(messages: ChatMessage[], tools: ToolSpec[]): ToolCall | undefined {
  const last = [...messages].reverse().find((m) => m.role === 'tool');
  if (last?.role !== 'tool' || !isIdentityRequired(parseJson(last.content))) return undefined;
  const call = findCall(messages, last.tool_call_id);
  return call && tools.some((t) => t.name === call.function.name) ? call : undefined;
}
