import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { parseJson } from '../../src/parseJson.js';
import { sectionBlock, toMrkdwn } from './format.js';

export const CONFIRM_ACTION_ID = 'switchboard_approval_confirm';
export const CANCEL_ACTION_ID = 'switchboard_approval_cancel';
export const APPROVAL_ACTION_PATTERN = /^switchboard_approval_(confirm|cancel)$/;

/** What a button carries, so a press can be matched to its question even after a restart. */
const buttonValueSchema = z.object({ thread: z.string().min(1), approval: z.string().min(1) });
export type ApprovalButtonValue = z.infer<typeof buttonValueSchema>;

export function parseButtonValue(value: unknown): ApprovalButtonValue | undefined {
  return typeof value === 'string' ? parseJson(value, buttonValueSchema) : undefined;
}

/** The question with Confirm / Cancel buttons; only `requestedBy` may press them. */
export function approvalBlocks(question: string, requestedBy: string, value: ApprovalButtonValue): KnownBlock[] {
  const encoded = JSON.stringify(value);
  return [
    sectionBlock(toMrkdwn(question)),
    {
      type: 'actions',
      block_id: `approval:${value.approval}`,
      elements: [
        {
          type: 'button',
          action_id: CONFIRM_ACTION_ID,
          style: 'primary',
          text: { type: 'plain_text', text: 'Confirm' },
          value: encoded,
        },
        {
          type: 'button',
          action_id: CANCEL_ACTION_ID,
          style: 'danger',
          text: { type: 'plain_text', text: 'Cancel' },
          value: encoded,
        },
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Only <@${requestedBy}> can confirm this.` }] },
  ];
}

/** The same message once answered: the question (already mrkdwn) and who decided what, without buttons. */
export function approvalOutcomeBlocks(questionMrkdwn: string, approved: boolean, by: string): KnownBlock[] {
  const outcome = approved ? `:white_check_mark: Confirmed by <@${by}>` : `:x: Cancelled by <@${by}>`;
  return [sectionBlock(questionMrkdwn), { type: 'context', elements: [{ type: 'mrkdwn', text: outcome }] }];
}

/** The question's mrkdwn as it stands in a posted approval message, read back from its first section. */
export function questionFromBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const first = blocks[0] as { type?: unknown; text?: { text?: unknown } } | undefined;
  return first?.type === 'section' && typeof first.text?.text === 'string' ? first.text.text : undefined;
}
