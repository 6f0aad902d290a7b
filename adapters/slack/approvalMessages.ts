import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/log.js';
import type { TurnEvent } from '../../src/orchestrator/events.js';
import { approvalBlocks, approvalOutcomeBlocks } from './approvals.js';
import { toMrkdwn } from './format.js';
import type { SlackThreadRef } from './threads.js';

/** A posted confirmation question: where it is, and its text as shown, so the outcome can replace its buttons. */
export interface ApprovalMessage {
  channel: string;
  ts: string;
  questionMrkdwn: string;
}

/** Confirmation questions posted with Confirm / Cancel buttons, by approval id, until they are answered. */
export class ApprovalMessages {
  private readonly messages = new Map<string, ApprovalMessage>();

  constructor(private readonly log: Logger) {}

  get(approvalId: string): ApprovalMessage | undefined {
    return this.messages.get(approvalId);
  }

  /** Learns where a question is from a press or a stored message (after a restart the map is empty). */
  adopt(approvalId: string, message: ApprovalMessage): void {
    if (!this.messages.has(approvalId)) this.messages.set(approvalId, message);
  }

  /** Posts the question with its buttons in the thread. */
  async post(
    client: WebClient,
    ref: SlackThreadRef,
    thread: string,
    question: Extract<TurnEvent, { type: 'approval.requested' }>,
  ): Promise<void> {
    try {
      const posted = await client.chat.postMessage({
        channel: ref.channel,
        thread_ts: ref.threadTs,
        text: `${question.question} (Confirm or Cancel)`,
        blocks: approvalBlocks(question.question, question.requestedBy, { thread, approval: question.id }),
      });
      if (posted.ts)
        this.messages.set(question.id, {
          channel: ref.channel,
          ts: posted.ts,
          questionMrkdwn: toMrkdwn(question.question),
        });
    } catch (err) {
      this.log.error({ err, thread }, 'slack.approval_post_failed');
    }
  }

  /** Replaces the buttons with who decided what. */
  async showOutcome(client: WebClient, approvalId: string, approved: boolean, by: string): Promise<void> {
    const message = this.messages.get(approvalId);
    if (!message) return;
    this.messages.delete(approvalId);
    try {
      await client.chat.update({
        channel: message.channel,
        ts: message.ts,
        text: `${approved ? 'Confirmed' : 'Cancelled'} by <@${by}>`,
        blocks: approvalOutcomeBlocks(message.questionMrkdwn, approved, by),
      });
    } catch (err) {
      this.log.error({ err, channel: message.channel }, 'slack.approval_update_failed');
    }
  }
}
