import {
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  type Client,
  DiscordAPIError,
  type Message,
  MessageFlags,
  type SendableChannels,
} from 'discord.js';
import { InFlight } from '../../src/conversation/inFlight.js';
import type {
  ConversationService,
  InboundMessage,
  Responder,
  RunTurn,
  TurnOutcome,
} from '../../src/conversation/service.js';
import { manualEscalationReason } from '../../src/escalation/staffCommands.js';
import type { Logger } from '../../src/log.js';
import type { TurnEvent } from '../../src/orchestrator/events.js';
import { approvalButtons, approvalOutcome, approvalQuestion, parseApprovalButton } from './approvals.js';
import { DiscordReply, sourcesLine } from './replies.js';
import type { RestPressure } from './restPressure.js';
import type { DiscordStaffSide } from './staff.js';
import { channelFor, openThread, type PendingThread, pendingThreadOf } from './threadStart.js';
import {
  cleanContent,
  type DiscordThreadRef,
  DM_GUILD,
  discordMessageId,
  discordThreadKey,
  parseDiscordThreadKey,
  threadName,
} from './threads.js';

/** Discord shows "is typing…" for about 10 s; it is renewed this often while a turn runs. */
export const TYPING_RENEW_MS = 8_000;
/**
 * "is typing…" shows only when the customer has seen nothing this long into a turn. A quick answer needs none, and
 * each typing call is a REST call: discord.js sends at most 50 a second for the whole bot, so under a burst it
 * would delay answers (bench/endToEndDiscord.ts: 4 calls an answer instead of 3).
 */
export const TYPING_DELAY_MS = 1_000;
/** Discord's code for a message that no longer exists (someone deleted it). */
const UNKNOWN_MESSAGE = 10008;
const NO_MENTIONS = { parse: [] as [] };
/** Where a reply goes: a channel, or a thread to start first. */
type ReplyTarget = SendableChannels | (() => Promise<SendableChannels>);

export interface DiscordConversationsOptions {
  service: ConversationService;
  log: Logger;
  allowedChannels: string[] | undefined;
  /** The staff channel's id when ESCALATION_CHANNEL is on Discord. */
  staffChannel?: string | undefined;
  /** Staff actions; present whenever escalation is on (`!escalate` works wherever the staff role does). */
  staff?: DiscordStaffSide | undefined;
  /** Pauses between tries to post a reply's final text (REPLY_RETRY_DELAYS_MS in production). */
  replyRetryDelaysMs: readonly number[];
  /** The adapter's REST calls under way, shared by every reply. */
  pressure: RestPressure;
}

interface DiscordPost {
  id: string;
  userId: string;
  /** The writer's display name in Discord; Discord vouches for no email, so orders are matched by the email they give. */
  userName?: string | undefined;
  text: string;
  attachments?: InboundMessage['attachments'];
  decision?: InboundMessage['decision'];
  /** When Discord says it was sent (ms); orders the thread's waiting messages. */
  sentAt: number;
}

/** Discord messages and interactions → conversation turns → replies. Client wiring lives in index.ts. */
export class DiscordConversations {
  private readonly inFlight = new InFlight();
  /** Posted approval questions by approval id, so the message can show the outcome however it was answered. */
  private readonly approvalMessages = new Map<string, { message: Message; question: string }>();

  constructor(private readonly options: DiscordConversationsOptions) {}

  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  onMessage(message: Message, botUserId: string): Promise<TurnOutcome | undefined> {
    return this.inFlight.track(this.takeMessage(message, botUserId));
  }

  onButton(interaction: ButtonInteraction): Promise<TurnOutcome | undefined> {
    return this.inFlight.track(this.takeButton(interaction));
  }

  onSupportCommand(interaction: ChatInputCommandInteraction): Promise<TurnOutcome | undefined> {
    return this.inFlight.track(this.takeSupportCommand(interaction));
  }

  private allowed(channelId: string | null): boolean {
    const { allowedChannels } = this.options;
    return !allowedChannels || (channelId !== null && allowedChannels.includes(channelId));
  }

  private async takeMessage(message: Message, botUserId: string): Promise<TurnOutcome | undefined> {
    const { service } = this.options;
    if (message.author.bot || message.author.id === botUserId || message.system) return undefined;
    const channel = message.channel;
    const mentioned = message.mentions.users.has(botUserId);
    const attachments = message.attachments.map((a) =>
      a.contentType ? { name: a.name, kind: a.contentType } : { name: a.name },
    );
    // A mention with no words is a hello; files with no words are said to be files (the core answers those).
    const text = cleanContent(message.content, botUserId) || (attachments.length > 0 ? '' : 'Hello');
    const post = {
      id: discordMessageId(message.id),
      userId: message.author.id,
      userName: message.author.displayName,
      text,
      attachments,
      sentAt: message.createdTimestamp,
    };
    if (channel.type === ChannelType.DM) {
      return this.answer(channel, { guild: DM_GUILD, channel: channel.id }, post);
    }
    if (!message.guildId) return undefined;
    const { staff, staffChannel } = this.options;
    // The staff channel is not a customer channel: only its escalation threads matter.
    if (staffChannel && (channel.id === staffChannel || (channel.isThread() && channel.parentId === staffChannel))) {
      if (channel.isThread() && staff) await staff.onStaffMessage(message, botUserId);
      return undefined;
    }
    if (channel.isThread()) {
      // Threads count as their parent channel for the allowlist. In a thread the bot did not start, only mentions.
      if (!this.allowed(channel.parentId)) return undefined;
      const ref = { guild: message.guildId, channel: channel.id };
      if (!mentioned && !(await service.hasConversation(discordThreadKey(ref)))) return undefined;
      const manualReason = manualEscalationReason(text);
      if (manualReason !== undefined && staff && (await staff.escalateByHand(message, ref, manualReason)))
        return undefined;
      return this.answer(channel, ref, post);
    }
    if (!mentioned || !channel.isSendable() || !this.allowed(channel.id)) return undefined;
    // The thread will have the message's id, so the conversation is keyed now and a duplicate MESSAGE_CREATE (one
    // discord.js no longer has in its cache) is refused by the inbox's dedupe before any call to Discord. The thread
    // is started when the reply is.
    const pending = { parent: channel.id, starter: message.id, name: threadName(text) };
    return this.answer(
      () => openThread(message, pending.name),
      { guild: message.guildId, channel: message.id },
      post,
      pending,
    );
  }

  private async takeButton(interaction: ButtonInteraction): Promise<TurnOutcome | undefined> {
    if (this.options.staff && (await this.options.staff.onButton(interaction))) return undefined;
    const parsed = parseApprovalButton(interaction.customId);
    if (!parsed || !interaction.channel?.isSendable()) return undefined;
    // Acknowledge within Discord's 3 s; the turn and the outcome follow.
    await interaction.deferUpdate();
    const message = interaction.message;
    if (!this.approvalMessages.has(parsed.approvalId)) {
      // After a restart the map is empty; the question is the message's first line.
      this.approvalMessages.set(parsed.approvalId, {
        message,
        question: message.content.split('\n-# ')[0] ?? message.content,
      });
    }
    const ref = { guild: interaction.guildId ?? DM_GUILD, channel: interaction.channelId };
    const outcome = await this.answer(interaction.channel, ref, {
      id: `discord:interaction:${interaction.id}`,
      userId: interaction.user.id,
      text: parsed.approve ? 'Confirm' : 'Cancel',
      decision: parsed,
      sentAt: interaction.createdTimestamp,
    });
    if (outcome.status === 'not_allowed' || outcome.status === 'stale') {
      await interaction.followUp({ content: outcome.reply, flags: MessageFlags.Ephemeral });
    }
    return outcome;
  }

  /** `/support <question>`: deferred at once, then a thread under the reply (or the DM itself) holds the conversation. */
  private async takeSupportCommand(interaction: ChatInputCommandInteraction): Promise<TurnOutcome | undefined> {
    const question = interaction.options.getString('question', true);
    await interaction.deferReply();
    const asked = await interaction.editReply({
      content: `<@${interaction.user.id}> asked: ${question}`,
      allowedMentions: NO_MENTIONS,
    });
    const post = {
      id: `discord:interaction:${interaction.id}`,
      userId: interaction.user.id,
      text: question,
      sentAt: interaction.createdTimestamp,
    };
    if (!interaction.guildId) {
      const channel = interaction.channel;
      if (!channel?.isSendable()) return undefined;
      return this.answer(channel, { guild: DM_GUILD, channel: interaction.channelId }, post);
    }
    if (!this.allowed(interaction.channelId)) {
      await interaction.followUp({ content: 'I do not answer in this channel.', flags: MessageFlags.Ephemeral });
      return undefined;
    }
    const thread = await asked.startThread({ name: threadName(question) });
    return this.answer(thread, { guild: interaction.guildId, channel: thread.id }, post);
  }

  private answer(
    channel: ReplyTarget,
    ref: DiscordThreadRef,
    post: DiscordPost,
    pending?: PendingThread,
  ): Promise<TurnOutcome> {
    const replyContext: Record<string, string> = pending
      ? { threadParent: pending.parent, threadName: pending.name }
      : {};
    const approval = post.decision && this.approvalMessages.get(post.decision.approvalId);
    if (approval)
      Object.assign(replyContext, { approvalMessage: approval.message.id, approvalQuestion: approval.question });
    const message = {
      id: post.id,
      thread: discordThreadKey(ref),
      userId: post.userId,
      userName: post.userName,
      text: post.text,
      attachments: post.attachments,
      decision: post.decision,
      sentAt: post.sentAt,
      replyContext,
    };
    return this.options.service.handle(message, (run) => this.respond(channel, ref, post.id, run));
  }

  /** How this replica answers a message another one received (or a crash left waiting): into the same channel. */
  responder(client: Client): Responder {
    return (message) => async (run) => {
      const ref = parseDiscordThreadKey(message.thread);
      const channel =
        ref && (await channelFor(client, ref.channel, pendingThreadOf(message.replyContext, ref.channel)));
      if (!ref || !channel) throw new Error(`cannot post into ${message.thread}`);
      const { approvalMessage, approvalQuestion } = message.replyContext ?? {};
      if (
        message.decision &&
        approvalMessage &&
        approvalQuestion !== undefined &&
        !this.approvalMessages.has(message.decision.approvalId)
      ) {
        const posted = await channel.messages.fetch(approvalMessage).catch(() => undefined);
        if (posted)
          this.approvalMessages.set(message.decision.approvalId, { message: posted, question: approvalQuestion });
      }
      return this.respond(channel, ref, message.id, run);
    };
  }

  /** Runs the message's turn, streaming it into the channel, then posts what is left (approval buttons, an apology). */
  private async respond(
    target: ReplyTarget,
    ref: DiscordThreadRef,
    inboundId: string,
    run: RunTurn,
  ): Promise<TurnOutcome> {
    const { log, service, pressure } = this.options;
    // A thread still to be started is started now; if that fails, the message waits in the inbox for the next pass.
    const channel = typeof target === 'function' ? await pressure.track(target()) : target;
    const thread = discordThreadKey(ref);
    const replyOptions = {
      log,
      retryDelaysMs: this.options.replyRetryDelaysMs,
      logFields: { thread, message: inboundId },
      onFirstMessage: (id: string) => service.recordReply(inboundId, id),
      pressure,
    };
    let reply = new DiscordReply(channel, replyOptions);
    const asked: Array<Extract<TurnEvent, { type: 'approval.requested' }>> = [];
    const updates: Array<Promise<void>> = [];
    let typing: NodeJS.Timeout | undefined;
    const showTyping = () => {
      if (reply.hasText || pressure.backedUp) return;
      // Not counted as under way: a typing call is dropped whenever the queue is backed up, and nothing waits on it.
      void channel.sendTyping().catch((err: unknown) => log.debug({ err, thread }, 'discord.typing_failed'));
    };
    try {
      const outcome = await run((event) => {
        switch (event.type) {
          case 'turn.start':
            clearInterval(typing);
            typing = setTimeout(() => {
              showTyping();
              typing = setInterval(showTyping, TYPING_RENEW_MS);
            }, TYPING_DELAY_MS);
            return;
          case 'text.delta':
            return reply.append(event.agent, event.text);
          case 'approval.requested':
            asked.push(event);
            return;
          case 'approval.resolved':
            updates.push(this.showApprovalOutcome(event.id, event.approved, event.by));
            return;
          default:
            return;
        }
      });
      clearInterval(typing);
      if (outcome.status === 'stale' || outcome.status === 'not_allowed' || outcome.status === 'relayed')
        return outcome;
      // A crashed replica may have posted (part of) this reply already: finish that message rather than post another.
      const postedId = outcome.resumed ? await service.postedReply(inboundId) : undefined;
      const posted = postedId ? await postedMessage(channel, postedId) : undefined;
      if (posted) reply = new DiscordReply(channel, { ...replyOptions, resume: posted });
      if (outcome.status === 'failed' || outcome.status === 'rejected')
        reply.appendParagraph(outcome.agent, outcome.reply);
      else if (!reply.hasText && asked.length === 0 && outcome.reply !== '') reply.append(outcome.agent, outcome.reply);
      // Under the answer (a resumed reply already posted had them, if it got that far).
      if (outcome.status === 'answered' && outcome.sources?.length && !posted)
        reply.appendParagraph(outcome.agent, sourcesLine(outcome.sources));
      try {
        // Throws when Discord did not take the text: the message then stays waiting, and a later pass posts it.
        await reply.finish();
      } finally {
        // A later pass re-posts the saved text only, so the buttons and outcomes go out now whatever became of it.
        for (const question of asked) await this.postApproval(channel, question);
        await Promise.all(updates);
      }
      log.debug({ thread, status: outcome.status, agent: outcome.agent }, 'discord.replied');
      return outcome;
    } finally {
      clearInterval(typing);
    }
  }

  private async postApproval(
    channel: SendableChannels,
    question: Extract<TurnEvent, { type: 'approval.requested' }>,
  ): Promise<void> {
    try {
      const message = await channel.send({
        content: approvalQuestion(question.question, question.requestedBy),
        components: [approvalButtons(question.id)],
        allowedMentions: NO_MENTIONS,
      });
      this.approvalMessages.set(question.id, { message, question: question.question });
    } catch (err) {
      this.options.log.error({ err }, 'discord.approval_post_failed');
    }
  }

  /** The outcome replaces the buttons. */
  private async showApprovalOutcome(approvalId: string, approved: boolean, by: string): Promise<void> {
    const posted = this.approvalMessages.get(approvalId);
    if (!posted) return;
    this.approvalMessages.delete(approvalId);
    try {
      await posted.message.edit({
        content: approvalOutcome(posted.question, approved, by),
        components: [],
        allowedMentions: NO_MENTIONS,
      });
    } catch (err) {
      this.options.log.error({ err }, 'discord.approval_update_failed');
    }
  }
}

/**
 * The first message of a reply an earlier try posted. Undefined when it was deleted (the reply is posted anew);
 * any other failure throws, because posting anew while Discord is flaky would show the reply twice.
 */
async function postedMessage(channel: SendableChannels, id: string): Promise<Message | undefined> {
  try {
    return await channel.messages.fetch(id);
  } catch (err) {
    if (err instanceof DiscordAPIError && err.code === UNKNOWN_MESSAGE) return undefined;
    throw err;
  }
}
