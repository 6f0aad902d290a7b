import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  type Message,
  type SendableChannels,
} from 'discord.js';
import { splitText } from '../../src/conversation/messageSplit.js';
import type { CustomerDetails, EscalationCard, StaffRoom, ThreadChannel } from '../../src/escalation/ports.js';
import { MAX_MESSAGE_CHARS } from './replies.js';
import { DM_GUILD, discordThreadKey, parseDiscordThreadKey, threadName } from './threads.js';

const CUSTOM_ID_PATTERN = /^switchboard:escalation:(claim|resolve):(.+)$/;
const NO_MENTIONS = { parse: [] as [] };
const URGENCY_MARK: Record<EscalationCard['urgency'], string> = { low: '⚪', normal: '🔵', high: '🟠', urgent: '🔴' };
const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', discord: 'Discord', console: 'the terminal' };

export function parseEscalationButton(
  customId: string,
): { action: 'claim' | 'resolve'; escalationId: string } | undefined {
  const match = CUSTOM_ID_PATTERN.exec(customId);
  return match ? { action: match[1] as 'claim' | 'resolve', escalationId: match[2]! } : undefined;
}

export function escalationButtons(card: EscalationCard): ActionRowBuilder<ButtonBuilder>[] {
  if (card.status === 'resolved') return [];
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (card.status === 'open')
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(`switchboard:escalation:claim:${card.escalationId}`)
        .setLabel('Claim')
        .setStyle(ButtonStyle.Primary),
    );
  row.addComponents(
    new ButtonBuilder()
      .setCustomId(`switchboard:escalation:resolve:${card.escalationId}`)
      .setLabel('Resolve')
      .setStyle(ButtonStyle.Success),
  );
  return [row];
}

export function escalationContent(card: EscalationCard): string {
  const where = PLATFORM_NAMES[card.customer.platform] ?? card.customer.platform;
  const customer = card.customer.link ? `[${card.customer.name}](${card.customer.link})` : card.customer.name;
  const status =
    card.status === 'resolved'
      ? `✅ Resolved by ${card.resolvedBy}`
      : card.status === 'claimed'
        ? `🙋 Claimed by ${card.claimedBy}`
        : '⏳ Waiting for someone to claim it';
  const head = [
    `## ${URGENCY_MARK[card.urgency]} Escalation: ${card.urgency} urgency`,
    `**Customer:** ${customer} on ${where}`,
    `**Reason:** ${card.reason}`,
    `**Opened by:** ${card.openedBy}`,
    '**Summary:**',
  ].join('\n');
  const foot = `-# ${status} · Reply in the thread to write to the customer; start with \`!note\` for an internal note.`;
  // The summary gets whatever room the rest leaves under Discord's limit.
  const room = MAX_MESSAGE_CHARS - head.length - foot.length - 2;
  const summary = card.summary.length > room ? `${card.summary.slice(0, Math.max(0, room - 1))}…` : card.summary;
  return `${head}\n${summary}\n${foot}`;
}

/** Posting into Discord channels for the escalation desk: relays to customers, and the staff channel when it is here. */
export class DiscordEscalationSide implements ThreadChannel, StaffRoom {
  readonly platform = 'discord';

  constructor(
    private readonly client: Client,
    private readonly staff: { channel: string | undefined; remindRoleId: string | undefined },
  ) {}

  async post(thread: string, text: string, from?: string): Promise<void> {
    const ref = parseDiscordThreadKey(thread);
    if (!ref) throw new Error(`not a Discord thread: ${thread}`);
    const body = from ? `**${from}** (support team)\n${text}` : text;
    await this.send(await this.sendable(ref.channel), body);
  }

  async customer(thread: string, userId: string): Promise<CustomerDetails> {
    const ref = parseDiscordThreadKey(thread);
    const user = await this.client.users.fetch(userId);
    const link = ref
      ? `https://discord.com/channels/${ref.guild === DM_GUILD ? '@me' : ref.guild}/${ref.channel}`
      : null;
    return { name: user.globalName ?? user.username, link };
  }

  async open(card: EscalationCard): Promise<string> {
    const channel = await this.sendable(this.requireStaffChannel());
    const message = await channel.send({
      content: escalationContent(card),
      components: escalationButtons(card),
      allowedMentions: NO_MENTIONS,
    });
    const thread = await message.startThread({
      name: threadName(`${card.urgency}: ${card.customer.name}: ${card.reason}`),
    });
    return discordThreadKey({ guild: message.guildId ?? DM_GUILD, channel: thread.id });
  }

  async update(staffThread: string, card: EscalationCard): Promise<void> {
    const message = await this.cardMessage(staffThread);
    await message.edit({
      content: escalationContent(card),
      components: escalationButtons(card),
      allowedMentions: NO_MENTIONS,
    });
  }

  async postToStaff(staffThread: string, text: string, options: { remind?: boolean } = {}): Promise<void> {
    const ref = parseDiscordThreadKey(staffThread);
    if (!ref) return;
    const role = options.remind ? this.staff.remindRoleId : undefined;
    const channel = await this.sendable(ref.channel);
    if (role) {
      await channel.send({
        content: `<@&${role}> ${text}`.slice(0, MAX_MESSAGE_CHARS),
        allowedMentions: { roles: [role] },
      });
      return;
    }
    await this.send(channel, text);
  }

  /** The card is the message the escalation thread was started from, so it has the thread's id. */
  private async cardMessage(staffThread: string): Promise<Message> {
    const ref = parseDiscordThreadKey(staffThread);
    if (!ref) throw new Error(`not a Discord thread: ${staffThread}`);
    const channel = await this.client.channels.fetch(this.requireStaffChannel());
    if (!channel?.isTextBased()) throw new Error('the staff channel is not a text channel');
    return channel.messages.fetch(ref.channel);
  }

  private async sendable(channelId: string): Promise<SendableChannels> {
    const channel = await this.client.channels.fetch(channelId);
    if (!channel?.isSendable()) throw new Error(`cannot send to Discord channel ${channelId}`);
    return channel;
  }

  private async send(channel: SendableChannels, text: string): Promise<void> {
    for (const piece of splitText(text, MAX_MESSAGE_CHARS))
      await channel.send({ content: piece, allowedMentions: NO_MENTIONS });
  }

  private requireStaffChannel(): string {
    if (!this.staff.channel) throw new Error('the staff channel is not on Discord');
    return this.staff.channel;
  }
}
