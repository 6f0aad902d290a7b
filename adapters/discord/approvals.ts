import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';

const CUSTOM_ID_PREFIX = 'switchboard:approval:';
const CUSTOM_ID_PATTERN = /^switchboard:approval:(confirm|cancel):(.+)$/;

/** Confirm / Cancel under the question; the approval id in each custom_id ties a press to its question, across restarts. */
export function approvalButtons(approvalId: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(`${CUSTOM_ID_PREFIX}confirm:${approvalId}`)
      .setLabel('Confirm')
      .setStyle(ButtonStyle.Success),
    new ButtonBuilder()
      .setCustomId(`${CUSTOM_ID_PREFIX}cancel:${approvalId}`)
      .setLabel('Cancel')
      .setStyle(ButtonStyle.Danger),
  );
}

export function parseApprovalButton(customId: string): { approvalId: string; approve: boolean } | undefined {
  const match = CUSTOM_ID_PATTERN.exec(customId);
  return match ? { approve: match[1] === 'confirm', approvalId: match[2]! } : undefined;
}

export function approvalQuestion(question: string, requestedBy: string): string {
  return `${question}\n-# Only <@${requestedBy}> can confirm this.`;
}

/** The question once answered; the buttons are removed alongside. */
export function approvalOutcome(question: string, approved: boolean, by: string): string {
  return `${question}\n-# ${approved ? '✅ Confirmed' : '✖️ Cancelled'} by <@${by}>`;
}
