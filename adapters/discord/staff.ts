import { type ButtonInteraction, GuildMember, type Message, MessageFlags } from 'discord.js';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { StaffMember } from '../../src/escalation/escalation.js';
import type { StaffOutcome } from '../../src/escalation/ports.js';
import { STAFF_ONLY_REPLY } from '../../src/escalation/staffCommands.js';
import type { Logger } from '../../src/log.js';
import { parseEscalationButton } from './escalation.js';
import { cleanContent, type DiscordThreadRef, DM_GUILD, discordMessageId, discordThreadKey } from './threads.js';

/** Reactions that tell staff what happened to their message in an escalation thread. */
const RELAYED_REACTION = '📤';
const NOTE_REACTION = '📝';

type Member = ButtonInteraction['member'] | Message['member'];

/**
 * The support team's side on Discord: their replies and notes in escalation threads, Claim and Resolve presses, and
 * `!escalate` typed in a customer's thread. Staff are the holders of DISCORD_STAFF_ROLE_ID.
 */
export class DiscordStaffSide {
  constructor(
    private readonly desk: EscalationDesk,
    private readonly staffRoleId: string | undefined,
    private readonly log: Logger,
  ) {}

  isStaff(member: Member): boolean {
    const role = this.staffRoleId;
    if (!role || !member) return false;
    return member instanceof GuildMember ? member.roles.cache.has(role) : member.roles.includes(role);
  }

  /** A message in an escalation thread of the staff channel. */
  async onStaffMessage(message: Message, botUserId: string): Promise<void> {
    const staffThread = discordThreadKey({ guild: message.guildId ?? DM_GUILD, channel: message.channelId });
    if (!(await this.desk.customerThreadOf(staffThread))) return;
    if (!this.isStaff(message.member)) {
      this.log.info({ user: message.author.id, staffThread }, 'escalation.not_staff_ignored');
      return;
    }
    const outcome = await this.desk.fromStaff({
      id: discordMessageId(message.id),
      staffThread,
      staff: this.member(message.member, message.author),
      text: cleanContent(message.content, botUserId),
    });
    if (outcome.status === 'relayed') await this.react(message, RELAYED_REACTION);
    if (outcome.status === 'note') await this.react(message, NOTE_REACTION);
    if (outcome.reply !== '')
      await message
        .reply({ content: outcome.reply, allowedMentions: { parse: [] } })
        .catch((err: unknown) => this.log.warn({ err }, 'discord.staff_reply_failed'));
  }

  /** `!escalate [reason]` in a customer's thread: only staff may; returns false when the writer is not staff. */
  async escalateByHand(message: Message, ref: DiscordThreadRef, reason: string): Promise<boolean> {
    if (!this.isStaff(message.member)) return false;
    const outcome = await this.desk.escalateByHand(
      discordThreadKey(ref),
      this.member(message.member, message.author),
      reason,
    );
    if (outcome.reply !== '')
      await message
        .reply({ content: outcome.reply, allowedMentions: { parse: [] } })
        .catch((err: unknown) => this.log.warn({ err }, 'discord.staff_reply_failed'));
    return true;
  }

  /** Claim or Resolve on a card; returns false when the button is not an escalation button. */
  async onButton(interaction: ButtonInteraction): Promise<boolean> {
    const parsed = parseEscalationButton(interaction.customId);
    if (!parsed) return false;
    await interaction.deferUpdate();
    let outcome: StaffOutcome;
    if (!this.isStaff(interaction.member)) {
      this.log.info({ user: interaction.user.id, action: parsed.action }, 'escalation.refused');
      outcome = { status: 'stale', reply: STAFF_ONLY_REPLY };
    } else {
      // The escalation thread was started from the card, so it has the card's id.
      const staffThread = discordThreadKey({ guild: interaction.guildId ?? DM_GUILD, channel: interaction.message.id });
      const staff = this.member(interaction.member, interaction.user);
      outcome =
        parsed.action === 'claim'
          ? await this.desk.claim(staffThread, parsed.escalationId, staff)
          : await this.desk.resolve(staffThread, parsed.escalationId, staff);
    }
    if (outcome.reply !== '') await interaction.followUp({ content: outcome.reply, flags: MessageFlags.Ephemeral });
    return true;
  }

  private member(member: Member, user: { id: string; globalName: string | null; username: string }): StaffMember {
    const name =
      member instanceof GuildMember ? member.displayName : (member?.nick ?? user.globalName ?? user.username);
    return { id: user.id, name };
  }

  private async react(message: Message, emoji: string): Promise<void> {
    await message
      .react(emoji)
      .catch((err: unknown) => this.log.debug({ err, message: message.id }, 'discord.reaction_failed'));
  }
}
