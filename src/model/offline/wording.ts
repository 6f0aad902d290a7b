import {
  type Agent,
  ANOTHER_APPROVAL_WAITING,
  type AnsweringAgent,
  APPROVAL_ALREADY_WAITING,
  APPROVAL_DECLINED,
  APPROVAL_NOT_CONFIRMED,
  APPROVAL_QUEUED,
  APPROVAL_SKIPPED_FOR_STAFF,
  NOTE_FACT_TOOL_NAME,
} from '../../orchestrator/protocol.js';
import { parseJson } from '../../parseJson.js';
import type { ToolCall } from '../types.js';
import { notDoneReply, notedReply, oneQuestionAtATimeReply, toolFailedReply } from './replies.js';

/** A tool's result in words for the customer: the tool's own template, or what the run loop's result means. */
export function wordResult(agent: Agent, call: ToolCall, content: string, by: AnsweringAgent): string {
  if (content.startsWith(APPROVAL_DECLINED) || content.startsWith(APPROVAL_NOT_CONFIRMED)) return notDoneReply();
  if (content.startsWith('Error:')) return toolFailedReply(content.slice('Error:'.length).trim());
  if (content === ANOTHER_APPROVAL_WAITING) return oneQuestionAtATimeReply();
  // Asked about after this reply, or not at all (people took over): nothing to say about it here.
  if (content === APPROVAL_QUEUED || content === APPROVAL_ALREADY_WAITING || content === APPROVAL_SKIPPED_FOR_STAFF)
    return '';
  if (call.function.name === NOTE_FACT_TOOL_NAME) return notedReply(parseJson(call.function.arguments));
  const tool = (agent.tools ?? []).find((t) => t.name === call.function.name);
  const result = parseJson(content);
  const input = parseJson(call.function.arguments);
  const worded = tool && result !== undefined ? tool.answer(result, input, by) : undefined;
  return worded ?? `Here is what I found:\n${content}`;
}
