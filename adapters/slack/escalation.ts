import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { CustomerDetails, EscalationCard, StaffRoom, ThreadChannel } from '../../src/escalation/ports.js';
import type { Logger } from '../../src/log.js';
import { sectionBlock } from './format.js';
import type { SlackProfiles } from './profiles.js';
import { platformError } from './replies.js';
import { parseSlackThreadKey, slackThreadKey } from './threads.js';

export const CLAIM_ACTION_ID = 'switchboard_escalation_claim';
export const RESOLVE_ACTION_ID = 'switchboard_escalation_resolve';
export const ESCALATION_ACTION_PATTERN = /^switchboard_escalation_(claim|resolve)$/;

/** Staff-channel membership and display names are looked up at most this often per person. */
const DIRECTORY_TTL_MS = 60_000;
const MEMBERS_PAGE_SIZE = 200;
const URGENCY_EMOJI: Record<EscalationCard['urgency'], string> = {
  low: ':white_circle:',
  normal: ':large_blue_circle:',
  high: ':large_orange_circle:',
  urgent: ':red_circle:',
};
const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', discord: 'Discord', console: 'the terminal' };

/** Text from people and models shown inside our own mrkdwn: Slack's three control characters escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A reminder's mention: a user group id (S…), `here`/`channel`/`everyone`, or a user id. */
export function slackMention(target: string): string {
  if (/^S[A-Z0-9]+$/.test(target)) return `<!subteam^${target}>`;
  if (['here', 'channel', 'everyone'].includes(target)) return `<!${target}>`;
  if (/^[UW][A-Z0-9]+$/.test(target)) return `<@${target}>`;
  return target;
}

/** The escalation card: who, where, why and how urgent, the summary, and Claim / Resolve while it is open. */
export function escalationBlocks(card: EscalationCard): KnownBlock[] {
  const where = PLATFORM_NAMES[card.customer.platform] ?? card.customer.platform;
  const customer = card.customer.link
    ? `<${card.customer.link}|${escapeMrkdwn(card.customer.name)}>`
    : escapeMrkdwn(card.customer.name);
  const status =
    card.status === 'resolved'
      ? `:white_check_mark: Resolved by ${escapeMrkdwn(card.resolvedBy ?? '')}`
      : card.status === 'claimed'
        ? `:raising_hand: Claimed by ${escapeMrkdwn(card.claimedBy ?? '')}`
        : ':hourglass_flowing_sand: Waiting for someone to claim it';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Escalation: ${card.urgency} urgency`, emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Customer*\n${customer} on ${where}` },
        { type: 'mrkdwn', text: `*Urgency*\n${URGENCY_EMOJI[card.urgency]} ${card.urgency}` },
        { type: 'mrkdwn', text: `*Reason*\n${escapeMrkdwn(card.reason)}` },
        { type: 'mrkdwn', text: `*Opened by*\n${escapeMrkdwn(card.openedBy)}` },
      ],
    },
    sectionBlock(`*Summary*\n${escapeMrkdwn(card.summary).slice(0, 2_900)}`),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${status} · Reply in this thread to write to the customer; start with \`!note\` for an internal note.`,
        },
      ],
    },
  ];
  if (card.status !== 'resolved') {
    const buttons = [
      ...(card.status === 'open'
        ? [
            {
              type: 'button' as const,
              action_id: CLAIM_ACTION_ID,
              style: 'primary' as const,
              text: { type: 'plain_text' as const, text: 'Claim' },
              value: card.escalationId,
            },
          ]
        : []),
      {
        type: 'button' as const,
        action_id: RESOLVE_ACTION_ID,
        text: { type: 'plain_text' as const, text: 'Resolve' },
        value: card.escalationId,
      },
    ];
    blocks.push({ type: 'actions', block_id: `escalation:${card.escalationId}`, elements: buttons });
  }
  return blocks;
}

function cardText(card: EscalationCard): string {
  return `Escalation (${card.urgency}): ${card.customer.name}: ${card.reason}`;
}

/** Staff-channel members and people's display names, cached briefly so a busy thread does not hammer the Web API. */
export class SlackDirectory {
  private members: { ids: Set<string>; at: number } | undefined;

  constructor(
    private readonly client: () => WebClient,
    private readonly staffChannel: string | undefined,
    /** People's names come from the same cached profiles the conversations use. */
    private readonly profiles: SlackProfiles,
  ) {}

  /** Staff are the members of the staff channel. */
  async isStaff(userId: string): Promise<boolean> {
    if (!this.staffChannel) return false;
    if (!this.members || Date.now() - this.members.at > DIRECTORY_TTL_MS) {
      const ids = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await this.client().conversations.members({
          channel: this.staffChannel,
          limit: MEMBERS_PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        });
        for (const id of page.members ?? []) ids.add(id);
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
      this.members = { ids, at: Date.now() };
    }
    return this.members.ids.has(userId);
  }

  async displayName(userId: string): Promise<string> {
    return (await this.profiles.of(this.client(), userId)).name ?? userId;
  }
}

/** Posting into Slack threads for the escalation desk: relays to customers, and the staff channel when it is here. */
export class SlackEscalationSide implements ThreadChannel, StaffRoom {
  readonly platform = 'slack';
  private team: string | undefined;

  constructor(
    private readonly client: () => WebClient,
    private readonly directory: SlackDirectory,
    private readonly staff: { channel: string | undefined; remindMention: string | undefined },
    private readonly log: Logger,
  ) {}

  async post(thread: string, text: string, from?: string): Promise<void> {
    const ref = parseSlackThreadKey(thread);
    if (!ref) throw new Error(`not a Slack thread: ${thread}`);
    const body = from ? `*${escapeMrkdwn(from)}* (support team)\n${text}` : text;
    await this.client().chat.postMessage({
      channel: ref.channel,
      thread_ts: ref.threadTs,
      text: body,
      unfurl_links: false,
    });
  }

  async customer(thread: string, userId: string): Promise<CustomerDetails> {
    const ref = parseSlackThreadKey(thread);
    if (!ref) throw new Error(`not a Slack thread: ${thread}`);
    const [name, link] = await Promise.all([
      this.directory.displayName(userId).catch(() => userId),
      this.client()
        .chat.getPermalink({ channel: ref.channel, message_ts: ref.threadTs })
        .then((found) => found.permalink ?? null)
        .catch((err: unknown) => {
          this.log.debug({ err: platformError(err) ?? err, thread }, 'slack.permalink_failed');
          return null;
        }),
    ]);
    return { name, link };
  }

  async open(card: EscalationCard): Promise<string> {
    const channel = this.requireStaffChannel();
    const posted = await this.client().chat.postMessage({
      channel,
      text: cardText(card),
      blocks: escalationBlocks(card),
      unfurl_links: false,
    });
    if (!posted.ts) throw new Error('Slack returned no ts for the escalation card');
    return slackThreadKey({ team: await this.teamId(), channel, threadTs: posted.ts });
  }

  async update(staffThread: string, card: EscalationCard): Promise<void> {
    const ref = parseSlackThreadKey(staffThread);
    if (!ref) return;
    await this.client().chat.update({
      channel: ref.channel,
      ts: ref.threadTs,
      text: cardText(card),
      blocks: escalationBlocks(card),
    });
  }

  async postToStaff(staffThread: string, text: string, options: { remind?: boolean } = {}): Promise<void> {
    const ref = parseSlackThreadKey(staffThread);
    if (!ref) return;
    const mention = options.remind && this.staff.remindMention ? `${slackMention(this.staff.remindMention)} ` : '';
    await this.client().chat.postMessage({
      channel: ref.channel,
      thread_ts: ref.threadTs,
      text: `${mention}${escapeMrkdwn(text)}`,
      unfurl_links: false,
    });
  }

  private requireStaffChannel(): string {
    if (!this.staff.channel) throw new Error('the staff channel is not on Slack');
    return this.staff.channel;
  }

  private async teamId(): Promise<string> {
    if (!this.team) {
      const auth = await this.client().auth.test();
      this.team = auth.team_id ?? 'unknown-team';
    }
    return this.team;
  }
}
