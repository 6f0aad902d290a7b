import type { WebClient } from '@slack/web-api';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { StaffMember } from '../../src/escalation/escalation.js';
import type { StaffOutcome } from '../../src/escalation/ports.js';
import { STAFF_ONLY_REPLY } from '../../src/escalation/staffCommands.js';
import type { Logger } from '../../src/log.js';
import type { SlackDirectory } from './escalation.js';
import { platformError } from './replies.js';
import { cleanText, type SlackMessageFields, type SlackThreadRef, slackMessageId, slackThreadKey } from './threads.js';

/** Reactions that tell staff what happened to their message in an escalation thread. */
const RELAYED_REACTION = 'outbox_tray';
const NOTE_REACTION = 'memo';

export interface EscalationPress {
  team: string;
  channel: string;
  /** The card's ts, which is the escalation thread's ts. */
  cardTs: string;
  escalationId: string;
  action: 'claim' | 'resolve';
  userId: string;
}

/**
 * The support team's side on Slack: their replies and notes in escalation threads, Claim and Resolve presses, and
 * `!escalate` typed in a customer's thread. Staff are the members of the staff channel.
 */
export class SlackStaffSide {
  constructor(
    private readonly desk: EscalationDesk,
    private readonly directory: SlackDirectory,
    private readonly log: Logger,
  ) {}

  /** A message in the staff channel: relayed or kept as a note when it is in an escalation thread. */
  async onStaffChannelMessage(
    client: WebClient,
    fields: SlackMessageFields,
    team: string,
    botUserId: string,
  ): Promise<void> {
    if (!fields.threadTs || !fields.user) return;
    const staffThread = slackThreadKey({ team, channel: fields.channel, threadTs: fields.threadTs });
    if (!(await this.desk.customerThreadOf(staffThread))) return;
    const staff = await this.member(fields.user);
    const outcome = await this.desk.fromStaff({
      id: slackMessageId(team, fields.channel, fields.ts),
      staffThread,
      staff,
      text: cleanText(fields.text, botUserId),
    });
    if (outcome.status === 'relayed') await this.react(client, fields.channel, fields.ts, RELAYED_REACTION);
    if (outcome.status === 'note') await this.react(client, fields.channel, fields.ts, NOTE_REACTION);
    await this.tell(client, { channel: fields.channel, threadTs: fields.threadTs, user: fields.user }, outcome);
  }

  /** `!escalate [reason]` in a customer's thread: only staff may; returns false when the writer is not staff. */
  async escalateByHand(client: WebClient, ref: SlackThreadRef, userId: string, reason: string): Promise<boolean> {
    if (!(await this.isStaff(userId))) return false;
    const outcome = await this.desk.escalateByHand(slackThreadKey(ref), await this.member(userId), reason);
    await this.tell(client, { channel: ref.channel, threadTs: ref.threadTs, user: userId }, outcome);
    return true;
  }

  /** Claim or Resolve on a card; returns what to tell the presser alone ('' for nothing). */
  async onPress(press: EscalationPress): Promise<string> {
    if (!(await this.isStaff(press.userId))) {
      this.log.info({ user: press.userId, action: press.action }, 'escalation.refused');
      return STAFF_ONLY_REPLY;
    }
    const staffThread = slackThreadKey({ team: press.team, channel: press.channel, threadTs: press.cardTs });
    const staff = await this.member(press.userId);
    const outcome =
      press.action === 'claim'
        ? await this.desk.claim(staffThread, press.escalationId, staff)
        : await this.desk.resolve(staffThread, press.escalationId, staff);
    return outcome.reply;
  }

  private async isStaff(userId: string): Promise<boolean> {
    try {
      return await this.directory.isStaff(userId);
    } catch (err) {
      // Without the member list nobody is let through; the log says why (usually a missing channels:read scope).
      this.log.error({ err: platformError(err) ?? err }, 'slack.staff_lookup_failed');
      return false;
    }
  }

  private async member(userId: string): Promise<StaffMember> {
    return { id: userId, name: await this.directory.displayName(userId).catch(() => userId) };
  }

  private async react(client: WebClient, channel: string, ts: string, name: string): Promise<void> {
    await client.reactions
      .add({ channel, timestamp: ts, name })
      .catch((err: unknown) => this.log.debug({ err: platformError(err) ?? err, channel }, 'slack.reaction_failed'));
  }

  private async tell(
    client: WebClient,
    to: { channel: string; threadTs: string; user: string },
    outcome: StaffOutcome,
  ): Promise<void> {
    if (outcome.reply === '') return;
    await client.chat
      .postEphemeral({ channel: to.channel, thread_ts: to.threadTs, user: to.user, text: outcome.reply })
      .catch((err: unknown) =>
        this.log.warn({ err: platformError(err) ?? err, channel: to.channel }, 'slack.ephemeral_failed'),
      );
  }
}
