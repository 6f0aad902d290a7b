import { DiscordAPIError, type Message, type MessageCreateOptions } from 'discord.js';
import { EditedReply } from '../../src/conversation/editedReply.js';
import { splitText } from '../../src/conversation/messageSplit.js';
import { postWithRetries } from '../../src/conversation/replyRetries.js';
import { markdownSourceLinks } from '../../src/conversation/sourceLinks.js';
import type { Logger } from '../../src/log.js';
import type { Source } from '../../src/orchestrator/citations.js';
import type { RestPressure } from './restPressure.js';

/** Discord's limit for a bot message. */
export const MAX_MESSAGE_CHARS = 2_000;
/** Room kept under the limit for the quiet agent line on the last message. */
const AGENT_LINE_RESERVE_CHARS = 80;
/** Each message is edited at most this often while text streams in. */
export const EDIT_INTERVAL_MS = 1_000;
/** Model text never pings anyone: no @everyone, roles or users from a reply. */
const NO_MENTIONS = { parse: [] as [] };

/** Where a reply goes: anything that can take a new message. */
export interface ReplyChannel {
  send(options: MessageCreateOptions): Promise<Message>;
}

export interface DiscordReplyOptions {
  log: Logger;
  /** Pauses between tries to post the final text (REPLY_RETRY_DELAYS_MS in production). */
  retryDelaysMs: readonly number[];
  /** Says where the reply goes in its log lines. */
  logFields: Record<string, unknown>;
  /** Hears the id of the reply's first message once Discord has it. */
  onFirstMessage?(id: string): void;
  /** The reply's first message, posted by an earlier try: it is edited into the full reply instead of posting anew. */
  resume?: Message | undefined;
  /** The adapter's REST calls under way: while they are backed up, the text is not shown before it is finished. */
  pressure?: RestPressure | undefined;
}

/**
 * discord.js waits out 429s by itself, but retries a 5xx or a reset connection only at once (three times, no
 * pause) and any other network failure not at all; those are worth a later try. A 4xx (an unknown channel, a
 * refused body) is an answer that another try will not change.
 */
export function discordRetryable(err: unknown): boolean {
  return !(err instanceof DiscordAPIError);
}

/**
 * One reply, written as the turn produces it: a posted message edited at most once a second, continued in a new
 * message at Discord's 2,000-character limit (on paragraph or line breaks, never inside a code fence). Calls are
 * chained, so edits land in order and the last edit always carries the full final text, even after a 429. While the
 * adapter's REST calls are backed up, the posts and edits before the final one are skipped (see RestPressure).
 */
export class DiscordReply {
  private text = '';
  private agent: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly edited: EditedReply<Message>;
  private heldBack = false;
  /** While held back: the next look at the queue, even if no more text comes (a lead-in before a slow tool). */
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    channel: ReplyChannel,
    private readonly options: DiscordReplyOptions,
  ) {
    const content = (text: string, last: boolean) => (last ? `${text}\n-# ${this.agent ?? ''}` : text);
    const tracked = <T>(call: Promise<T>) => options.pressure?.track(call) ?? call;
    let first = options.resume === undefined;
    this.edited = new EditedReply<Message>(
      {
        post: async (text, last) => {
          const message = await tracked(channel.send({ content: content(text, last), allowedMentions: NO_MENTIONS }));
          if (first) options.onFirstMessage?.(message.id);
          first = false;
          return message;
        },
        edit: (message, text, last) =>
          tracked(message.edit({ content: content(text, last), allowedMentions: NO_MENTIONS })),
      },
      EDIT_INTERVAL_MS,
      // Only the in-between syncs come through here; finish() writes the final text whatever the queue.
      (step) => this.enqueue(() => (options.pressure?.backedUp ? this.holdBack() : step())),
    );
    if (options.resume) this.edited.adopt(options.resume);
  }

  get hasText(): boolean {
    return this.text !== '';
  }

  append(agent: string, delta: string): void {
    if (delta === '') return;
    this.agent = agent;
    this.text += delta;
    // Held back, the text waits for the next look at the queue rather than asking again with every chunk.
    if (!this.retryTimer) this.edited.schedule(() => this.pieces());
  }

  appendParagraph(agent: string, text: string): void {
    this.append(agent, this.text === '' ? text : `\n\n${text}`);
  }

  /**
   * Writes the final text, with the agent's name under the last message, retrying with backoff. Rejects when
   * Discord still has not taken it: the caller then leaves the message waiting, to be finished later.
   */
  async finish(): Promise<void> {
    this.edited.cancel();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // Edits while the text streamed in are best effort: whatever they missed, the final sync writes.
    await this.chain;
    if (this.text === '') return;
    const { log, retryDelaysMs, logFields } = this.options;
    await postWithRetries(() => this.edited.sync(this.pieces(), true), {
      delaysMs: retryDelaysMs,
      retryable: discordRetryable,
      log,
      fields: { platform: 'discord', ...logFields },
    });
  }

  private async holdBack(): Promise<void> {
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.edited.schedule(() => this.pieces());
    }, EDIT_INTERVAL_MS);
    if (this.heldBack) return;
    this.heldBack = true;
    this.options.log.debug(this.options.logFields, 'discord.reply_held_back');
  }

  private enqueue(step: () => Promise<void>): void {
    const { log, logFields } = this.options;
    this.chain = this.chain
      .then(step)
      .catch((err: unknown) => log.error({ err, ...logFields }, 'discord.reply_failed'));
  }

  private pieces(): string[] {
    return splitText(this.text, MAX_MESSAGE_CHARS - AGENT_LINE_RESERVE_CHARS);
  }
}

/**
 * The articles an answer drew on, as one quiet line of Discord markdown: `-# Sources: [Title](<https://…>)`.
 * The angle brackets keep Discord from unfurling each article into an embed under the answer.
 */
export function sourcesLine(sources: readonly Source[]): string {
  return `-# Sources: ${markdownSourceLinks(sources, { noPreview: true }).join(' · ')}`;
}
