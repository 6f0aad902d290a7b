import type { WebClient } from '@slack/web-api';
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
import { ApprovalMessages } from './approvalMessages.js';
import { sourcesLine } from './format.js';
import type { SlackProfiles } from './profiles.js';
import { platformError, SlackReply } from './replies.js';
import type { SlackStaffSide } from './staff.js';
import {
  cleanText,
  ignoreReason,
  isDirectMessage,
  mentionsBot,
  parseSlackThreadKey,
  readMessageFields,
  type SlackThreadRef,
  slackMessageId,
  slackThreadKey,
  slackTsToMs,
} from './threads.js';

/** Errors that mean native streaming is unavailable for the whole app, not just one channel. */
const APP_WIDE_STREAM_ERRORS = new Set([
  'unknown_method',
  'not_allowed_token_type',
  'missing_scope',
  'method_deprecated',
]);
/** Assistant thread titles are short; the first question is cut to this. */
const MAX_TITLE_CHARS = 60;

export interface SlackConversationsOptions {
  service: ConversationService;
  log: Logger;
  allowedChannels: string[] | undefined;
  /** The staff channel's id when ESCALATION_CHANNEL is on Slack, and the staff side that handles it. */
  staffChannel?: string | undefined;
  staff?: SlackStaffSide | undefined;
  /** Pauses between tries to post a reply's final text (REPLY_RETRY_DELAYS_MS in production). */
  replyRetryDelaysMs: readonly number[];
  /** Who wrote each message (name, verified email), shared with the escalation side's directory. */
  profiles: SlackProfiles;
}

/** Where an event came from: a channel mention, a channel or DM message, or the assistant pane. */
export type MessageSource = 'mention' | 'message' | 'assistant';

/** One person's post, resolved to its conversation. */
interface SlackPost {
  ref: SlackThreadRef;
  id: string;
  userId: string;
  userTeam: string;
  text: string;
  attachments?: InboundMessage['attachments'];
  dm: boolean;
  decision?: InboundMessage['decision'];
  /** The post's Slack timestamp in ms; orders the thread's waiting messages. */
  sentAt?: number;
}

export interface ApprovalPress {
  ref: SlackThreadRef;
  approvalId: string;
  approve: boolean;
  userId: string;
  userTeam: string | undefined;
  actionTs: string;
  /** The message holding the buttons, and its question as shown, so it can show the outcome after a restart. */
  messageTs: string | undefined;
  questionMrkdwn: string | undefined;
}

/**
 * Slack events → conversation turns → replies in the thread. Platform wiring (receivers, Bolt listeners)
 * lives in index.ts; this is what happens to one message.
 */
export class SlackConversations {
  private nativeStreaming = true;
  /** A native stream has started since this process began: first words need not wait for a full buffer. */
  private nativeStarted = false;
  private readonly nativeRefusedIn = new Set<string>();
  /** Posted approval questions by approval id, so the message can show the outcome however it was answered. */
  private readonly approvalMessages: ApprovalMessages;
  /** Events being handled right now, so shutdown (and tests) can wait for their replies. */
  private readonly inFlight = new InFlight();
  /** Who wrote each message: name and verified email, for the requester every tool sees. */
  private readonly profiles: SlackProfiles;

  constructor(private readonly options: SlackConversationsOptions) {
    this.approvalMessages = new ApprovalMessages(options.log);
    this.profiles = options.profiles;
  }

  /** Resolves when every event taken so far has been answered (or ignored). */
  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  /** Counts other work (a staff button press) as in flight, so shutdown and idle() wait for it too. */
  track<T>(work: Promise<T>): Promise<T> {
    return this.inFlight.track(work);
  }

  /**
   * Decides whether a message event is ours to answer, and answers it. Returns the outcome, or undefined
   * when the event was ignored.
   */
  onMessage(
    client: WebClient,
    event: unknown,
    team: string,
    botUserId: string,
    source: MessageSource,
    setTitle?: (title: string) => Promise<unknown>,
  ): Promise<TurnOutcome | undefined> {
    return this.inFlight.track(this.takeMessage(client, event, team, botUserId, source, setTitle));
  }

  private async takeMessage(
    client: WebClient,
    event: unknown,
    team: string,
    botUserId: string,
    source: MessageSource,
    setTitle?: (title: string) => Promise<unknown>,
  ): Promise<TurnOutcome | undefined> {
    const { log } = this.options;
    const fields = readMessageFields(event);
    if (!fields) return undefined;
    const { staffChannel, staff } = this.options;
    const allowed =
      this.options.allowedChannels && staffChannel
        ? [...this.options.allowedChannels, staffChannel]
        : this.options.allowedChannels;
    const ignored = ignoreReason(fields, botUserId, allowed);
    if (ignored) {
      log.debug({ channel: fields.channel, ts: fields.ts, reason: ignored }, 'slack.ignored');
      return undefined;
    }
    // The staff channel is not a customer channel: only its escalation threads matter (a mention arrives twice).
    if (fields.channel === staffChannel) {
      if (source === 'message' && staff) await staff.onStaffChannelMessage(client, fields, team, botUserId);
      return undefined;
    }
    const dm = isDirectMessage(fields);
    // A top-level post starts a conversation in a thread under it (in DMs too; see README: "Direct messages").
    let threadTs = fields.threadTs ?? fields.ts;
    if (!dm && source === 'message') {
      // Channel chatter is not for us: a top-level mention arrives as its own app_mention event, and a thread
      // reply is ours only when the thread is a conversation already (or mentions the bot).
      if (!fields.threadTs) return undefined;
      threadTs = fields.threadTs;
      const key = slackThreadKey({ team, channel: fields.channel, threadTs });
      if (!mentionsBot(fields.text, botUserId) && !(await this.options.service.hasConversation(key))) return undefined;
    }
    // A mention with no words is a hello; files with no words are said to be files (the core answers those).
    const text = cleanText(fields.text, botUserId) || (fields.files.length > 0 ? '' : 'Hello');
    const ref = { team, channel: fields.channel, threadTs };
    const manualReason = manualEscalationReason(text);
    if (manualReason !== undefined && staff && (await staff.escalateByHand(client, ref, fields.user!, manualReason)))
      return undefined;
    if (setTitle && !(await this.options.service.hasConversation(slackThreadKey(ref)))) {
      setTitle(text.length > MAX_TITLE_CHARS ? `${text.slice(0, MAX_TITLE_CHARS - 1)}…` : text).catch((err: unknown) =>
        log.debug({ err, channel: ref.channel }, 'slack.title_failed'),
      );
    }
    return this.answer(client, {
      ref,
      id: slackMessageId(team, fields.channel, fields.ts),
      userId: fields.user!,
      userTeam: fields.userTeam ?? team,
      text,
      attachments: fields.files,
      dm,
      sentAt: slackTsToMs(fields.ts),
    });
  }

  /** A Confirm or Cancel press: a turn like any other, carrying the decision. */
  onApprovalPress(client: WebClient, press: ApprovalPress): Promise<TurnOutcome> {
    return this.inFlight.track(this.takePress(client, press));
  }

  private async takePress(client: WebClient, press: ApprovalPress): Promise<TurnOutcome> {
    if (press.messageTs && press.questionMrkdwn) {
      // After a restart the map is empty; the press itself says which message to update.
      this.approvalMessages.adopt(press.approvalId, {
        channel: press.ref.channel,
        ts: press.messageTs,
        questionMrkdwn: press.questionMrkdwn,
      });
    }
    return this.answer(client, {
      ref: press.ref,
      id: `slack:${press.ref.team}:action:${press.userId}:${press.actionTs}`,
      userId: press.userId,
      userTeam: press.userTeam ?? press.ref.team,
      text: press.approve ? 'Confirm' : 'Cancel',
      dm: press.ref.channel.startsWith('D'),
      decision: { approvalId: press.approvalId, approve: press.approve },
      sentAt: slackTsToMs(press.actionTs),
    });
  }

  private answer(client: WebClient, post: SlackPost): Promise<TurnOutcome> {
    const { ref } = post;
    const replyContext: Record<string, string> = { userTeam: post.userTeam };
    const approval = post.decision && this.approvalMessages.get(post.decision.approvalId);
    if (approval) Object.assign(replyContext, { approvalTs: approval.ts, approvalQuestion: approval.questionMrkdwn });
    const message = {
      id: post.id,
      thread: slackThreadKey(ref),
      userId: post.userId,
      text: post.text,
      attachments: post.attachments,
      decision: post.decision,
      sentAt: post.sentAt,
      replyContext,
    };
    return this.options.service.handle(message, (run) => this.respond(client, post, run));
  }

  /**
   * How this replica answers a message another one received (or a crash left waiting): the same reply, through
   * the app's own client. A refused button press is told to its presser as an ephemeral note.
   */
  responder(client: WebClient): Responder {
    return (message) => {
      const ref = parseSlackThreadKey(message.thread);
      if (!ref) return (run) => run();
      const context = message.replyContext ?? {};
      if (message.decision && context.approvalTs && context.approvalQuestion) {
        this.approvalMessages.adopt(message.decision.approvalId, {
          channel: ref.channel,
          ts: context.approvalTs,
          questionMrkdwn: context.approvalQuestion,
        });
      }
      const post: SlackPost = {
        ref,
        id: message.id,
        userId: message.userId,
        userTeam: context.userTeam ?? ref.team,
        text: message.text,
        dm: ref.channel.startsWith('D'),
        decision: message.decision,
      };
      return async (run) => {
        const outcome = await this.respond(client, post, run);
        if (outcome.status === 'not_allowed' || (outcome.status === 'stale' && message.decision)) {
          await client.chat
            .postEphemeral({ channel: ref.channel, thread_ts: ref.threadTs, user: message.userId, text: outcome.reply })
            .catch((err: unknown) =>
              this.options.log.info({ reason: platformError(err), channel: ref.channel }, 'slack.ephemeral_refused'),
            );
        }
        return outcome;
      };
    };
  }

  /** Runs the message's turn, streaming it into the thread, then posts what is left (approval buttons, an apology). */
  private async respond(client: WebClient, post: SlackPost, run: RunTurn): Promise<TurnOutcome> {
    const { log } = this.options;
    const { ref } = post;
    const thread = slackThreadKey(ref);
    const startReply = (resumeTs?: string) =>
      new SlackReply(
        client,
        { channel: ref.channel, threadTs: ref.threadTs, userId: post.userId, userTeam: post.userTeam },
        {
          native: this.nativeStreaming && !this.nativeRefusedIn.has(ref.channel),
          eager: this.nativeStarted,
          onNativeStarted: () => (this.nativeStarted = true),
          log,
          onNativeRefused: (reason) => {
            if (APP_WIDE_STREAM_ERRORS.has(reason)) this.nativeStreaming = false;
            else this.nativeRefusedIn.add(ref.channel);
          },
          onFirstMessage: (ts) => this.options.service.recordReply(post.id, ts),
          resumeTs,
          retryDelaysMs: this.options.replyRetryDelaysMs,
        },
      );
    let reply = startReply();
    const status = post.dm ? this.statusSetter(client, ref) : () => {};
    const asked: Array<Extract<TurnEvent, { type: 'approval.requested' }>> = [];
    const updates: Array<Promise<void>> = [];
    // The writer's verified email shows which orders are theirs, so they need not type it (users:read.email).
    const profile = await this.profiles.of(client, post.userId);
    const writer = { userName: profile.name, verifiedEmail: profile.email };
    const outcome = await run((event) => {
      switch (event.type) {
        case 'turn.start':
          return status('is thinking…');
        case 'text.delta':
          return reply.append(event.agent, event.text);
        case 'tool.call':
          return status(event.status);
        case 'handoff':
          return status(`is passing you to ${event.to}…`);
        case 'approval.requested':
          asked.push(event);
          return;
        case 'approval.resolved':
          updates.push(this.approvalMessages.showOutcome(client, event.id, event.approved, event.by));
          return;
        default:
          return;
      }
    }, writer);
    if (outcome.status === 'stale' || outcome.status === 'not_allowed' || outcome.status === 'relayed') return outcome;
    // A crashed replica may have posted (part of) this reply already: finish that message rather than post another.
    const posted = outcome.resumed ? await this.options.service.postedReply(post.id) : undefined;
    if (posted) reply = startReply(posted);
    if (outcome.status === 'failed' || outcome.status === 'rejected')
      reply.appendParagraph(outcome.agent, outcome.reply);
    else if (!reply.hasText && asked.length === 0 && outcome.reply !== '') reply.append(outcome.agent, outcome.reply);
    // Under the answer (a resumed reply already posted had them, if it got that far).
    if (outcome.status === 'answered' && outcome.sources?.length && !posted)
      reply.appendParagraph(outcome.agent, sourcesLine(outcome.sources));
    try {
      // Throws when Slack did not take the text: the message then stays waiting, and a later pass posts it.
      await reply.finish();
    } finally {
      // A later pass re-posts the saved text only, so the buttons and outcomes go out now whatever became of it.
      for (const question of asked) await this.approvalMessages.post(client, ref, thread, question);
      await Promise.all(updates);
    }
    if (!reply.hasText && asked.length === 0) status('');
    log.debug({ thread, status: outcome.status, agent: outcome.agent }, 'slack.replied');
    return outcome;
  }

  /** Assistant-pane status ("is looking up your order…"), best effort: a status never blocks a reply. */
  private statusSetter(client: WebClient, ref: SlackThreadRef) {
    return (text: string) => {
      const status =
        text === '' || text.startsWith('is ') ? text : `is ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
      client.assistant.threads
        .setStatus({ channel_id: ref.channel, thread_ts: ref.threadTs, status })
        .catch((err: unknown) =>
          this.options.log.debug({ err: platformError(err) ?? err, channel: ref.channel }, 'slack.status_failed'),
        );
    };
  }
}
