import type { Message, MessageCreateOptions } from 'discord.js';
import { EditedReply } from '../../src/conversation/editedReply.js';
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
  private readonly edited: EditedReply<Message>;

  /**
   * `onFirstMessage` hears the id of the reply's first message once Discord has it; `resume` is that message when a
   * crashed process posted it, and is edited into the full reply instead of posting anew.
   */
  constructor(
    channel: ReplyChannel,
    private readonly log: Logger,
    continuity: { onFirstMessage?(id: string): void; resume?: Message | undefined } = {},
  ) {
    const content = (text: string, last: boolean) => (last ? `${text}\n-# ${this.agent ?? ''}` : text);
    let first = continuity.resume === undefined;
    this.edited = new EditedReply<Message>(
      {
        post: async (text, last) => {
          const message = await channel.send({ content: content(text, last), allowedMentions: NO_MENTIONS });
          if (first) continuity.onFirstMessage?.(message.id);
          first = false;
          return message;
        },
        edit: (message, text, last) => message.edit({ content: content(text, last), allowedMentions: NO_MENTIONS }),
      },
      EDIT_INTERVAL_MS,
      (step) => this.enqueue(step),
    );
    if (continuity.resume) this.edited.adopt(continuity.resume);
  }

  get hasText(): boolean {
    return this.text !== '';
  }

  append(agent: string, delta: string): void {
    if (delta === '') return;
    this.agent = agent;
    this.text += delta;
    this.edited.schedule(() => this.pieces());
  }

  appendParagraph(agent: string, text: string): void {
    this.append(agent, this.text === '' ? text : `\n\n${text}`);
  }

  /** Writes the final text, with the agent's name under the last message. Never throws. */
  async finish(): Promise<void> {
    this.edited.cancel();
    if (this.text !== '') this.enqueue(() => this.edited.sync(this.pieces(), true));
    return this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error({ err }, 'discord.reply_failed'));
  }

  private pieces(): string[] {
    return splitText(this.text, MAX_MESSAGE_CHARS - AGENT_LINE_RESERVE_CHARS);
  }
}
