import { newEscalation } from '../escalation/escalation.js';
import { ESCALATED_REPLY, type EscalateInput, escalateCallSchema } from '../escalation/escalationTool.js';
import type { Logger } from '../log.js';
import type { ToolCall } from '../model/types.js';
import { ESCALATE_TOOL_NAME } from './protocol.js';
import { parseToolCall } from './toolExecution.js';
import type { Turn } from './turn.js';

/**
 * Hands the conversation to staff: the escalation is recorded in the state (the service posts it to the staff
 * channel after saving) and the turn ends with the customer told so. Returns false when every call was malformed,
 * so the model can read why and try again.
 */
export function escalate(turn: Turn, calls: ToolCall[], log: Logger): boolean {
  const [first, ...rest] = calls;
  const parsed = parseToolCall(first!, [escalateCallSchema]);
  if (!parsed.ok) {
    log.warn(
      { thread: turn.input.thread, agent: turn.agent.id, tool: ESCALATE_TOOL_NAME, kind: parsed.kind },
      'tool.rejected',
    );
    for (const call of calls)
      turn.state.history.push({ role: 'tool', tool_call_id: call.id, content: `Error: ${parsed.message}` });
    return false;
  }
  const { reason, urgency } = parsed.input as EscalateInput;
  turn.state.history.push({
    role: 'tool',
    tool_call_id: first!.id,
    content: 'Escalated: the support team has been asked to join this conversation.',
  });
  for (const extra of rest)
    turn.state.history.push({
      role: 'tool',
      tool_call_id: extra.id,
      content: 'Ignored: the conversation was already escalated.',
    });
  handToStaff(turn, reason, urgency, log);
  return true;
}

/** Records the escalation in the state (the service posts it to staff after saving) and tells the customer. */
export function handToStaff(turn: Turn, reason: string, urgency: EscalateInput['urgency'], log: Logger): void {
  turn.state.escalation = newEscalation({
    reason,
    urgency,
    openedBy: { agent: turn.agent.id },
    customerId: turn.input.userId,
  });
  // Pending confirmations are moot once people take over; they can do it themselves.
  turn.state.pendingApproval = null;
  turn.state.queuedApprovals = [];
  log.info({ thread: turn.input.thread, agent: turn.agent.id, urgency }, 'escalation.requested');
  turn.emit({ type: 'escalation.requested', agent: turn.agent.name, reason, urgency });
  turn.say(ESCALATED_REPLY);
}
