import type { Message, MessageCreateOptions, MessageEditOptions } from 'discord.js';
import { splitText } from '../../src/conversation/messageSplit.js';
import type { Logger } from '../../src/log.js';

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

/**
 * One reply, written as the turn produces it: a posted message edited at most once a second, continued in a new
 * message at Discord's 2,000-character limit (on paragraph or line breaks, never inside a code fence). Calls are
 * chained, so edits land in order and the last edit always carries the full final text, even after a 429.
 */
export class DiscordReply {
  private text = '';
  private agent: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly posted: Array<{ message: Message; content: string }> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;

  constructor(
    private readonly channel: ReplyChannel,
    private readonly log: Logger,
  ) {}

  get hasText(): boolean {
    return this.text !== '';
  }

  append(agent: string, delta: string): void {
    if (delta === '') return;
    this.agent = agent;
    this.text += delta;
    if (this.timer) return;
    const wait = this.posted.length === 0 ? 0 : Math.max(0, this.lastFlush + EDIT_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.flush(false));
    }, wait);
  }

  appendParagraph(agent: string, text: string): void {
    this.append(agent, this.text === '' ? text : `\n\n${text}`);
  }

  /** Writes the final text, with the agent's name under the last message. Never throws. */
  async finish(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.text !== '') this.enqueue(() => this.flush(true));
    return this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error({ err }, 'discord.reply_failed'));
  }

  private async flush(final: boolean): Promise<void> {
    this.lastFlush = Date.now();
    const pieces = splitText(this.text, MAX_MESSAGE_CHARS - AGENT_LINE_RESERVE_CHARS);
    for (const [index, piece] of pieces.entries()) {
      const content = final && index === pieces.length - 1 ? `${piece}\n-# ${this.agent ?? ''}` : piece;
      const existing = this.posted[index];
      if (existing?.content === content) continue;
      if (existing) {
        const edit: MessageEditOptions = { content, allowedMentions: NO_MENTIONS };
        existing.message = await existing.message.edit(edit);
        existing.content = content;
      } else {
        const message = await this.channel.send({ content, allowedMentions: NO_MENTIONS });
        this.posted.push({ message, content });
      }
    }
  }
}
