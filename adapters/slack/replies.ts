import type { ChatStreamer, WebClient } from '@slack/web-api';
import type { Logger } from '../../src/log.js';
import { agentContextBlock, MAX_SECTION_CHARS, MAX_STREAMED_MESSAGE_CHARS, sectionBlock, splitText, toMrkdwn } from './format.js';

/** The fallback edits its message at most this often, well inside Slack's per-channel rate limit. */
export const UPDATE_INTERVAL_MS = 1_000;
/** Characters the native stream buffers before each Slack call. */
const STREAM_BUFFER_CHARS = 256;

export interface ReplyTarget {
  channel: string;
  threadTs: string;
  team: string;
  /** The person being answered; streaming outside DMs names its recipient. */
  userId: string;
}

export interface ReplyOptions {
  /** Try `chat.startStream` first; false goes straight to post-and-update. */
  native: boolean;
  log: Logger;
  /** Called once when Slack refuses native streaming here, so later replies skip the attempt. */
  onNativeRefused(reason: string): void;
}

/**
 * One reply in one thread, written as the turn produces it: Slack's native chat streaming where Slack allows
 * it, otherwise a posted message edited at most once a second. Slack calls are chained, so they happen in
 * order and a failure of one never loses the text: the fallback re-posts everything said so far.
 */
export class SlackReply {
  private text = '';
  private agent: string | undefined;
  private native: boolean;
  private chain: Promise<void> = Promise.resolve();
  private streamer: ChatStreamer | undefined;
  private streamedChars = 0;
  /** Fallback: the messages posted so far, one per piece of the split reply. */
  private readonly posted: Array<{ ts: string; text: string }> = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;

  constructor(
    private readonly client: WebClient,
    private readonly target: ReplyTarget,
    private readonly options: ReplyOptions,
  ) {
    this.native = options.native;
  }

  get hasText(): boolean {
    return this.text !== '';
  }

  /** Adds streamed text from `agent`. */
  append(agent: string, delta: string): void {
    if (delta === '') return;
    this.agent = agent;
    this.text += delta;
    if (this.native) this.enqueue(() => this.streamAppend(delta));
    else this.scheduleFlush();
  }

  /** Adds a whole paragraph (an apology, a refusal) after whatever was said. */
  appendParagraph(agent: string, text: string): void {
    this.append(agent, this.text === '' ? text : `\n\n${text}`);
  }

  /** Writes the rest, and the quiet agent line under the last message. Never throws. */
  async finish(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.text === '') return this.chain;
    this.enqueue(async () => {
      if (this.native && this.streamer) {
        try {
          await this.streamer.stop({ blocks: [agentContextBlock(this.agent ?? '')] });
          return;
        } catch (err) {
          this.fallBack(err);
        }
      }
      if (!this.native) await this.flush(true);
    });
    return this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.options.log.error({ err, channel: this.target.channel, thread: this.target.threadTs }, 'slack.reply_failed');
    });
  }

  private async streamAppend(delta: string): Promise<void> {
    if (!this.native) return;
    try {
      if (this.streamer && this.streamedChars + delta.length > MAX_STREAMED_MESSAGE_CHARS) {
        // One streamed message holds at most this much; the reply continues in the next one.
        await this.streamer.stop();
        this.streamer = undefined;
        this.streamedChars = 0;
      }
      this.streamer ??= this.client.chatStream({
        channel: this.target.channel,
        thread_ts: this.target.threadTs,
        recipient_team_id: this.target.team,
        recipient_user_id: this.target.userId,
        buffer_size: STREAM_BUFFER_CHARS,
      });
      this.streamedChars += delta.length;
      await this.streamer.append({ markdown_text: delta });
    } catch (err) {
      this.fallBack(err);
      await this.flush(false);
    }
  }

  /** Native streaming failed here: from now on post and update, starting with everything said so far. */
  private fallBack(err: unknown): void {
    const reason = platformError(err) ?? (err instanceof Error ? err.message : String(err));
    this.options.log.warn({ channel: this.target.channel, reason }, 'slack.stream_refused');
    this.native = false;
    this.streamer = undefined;
    this.options.onNativeRefused(reason);
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = this.posted.length === 0 ? 0 : Math.max(0, this.lastFlush + UPDATE_INTERVAL_MS - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.enqueue(() => this.flush(false));
    }, wait);
  }

  /** Fallback: brings the posted messages up to date; `final` adds the agent line under the last one. */
  private async flush(final: boolean): Promise<void> {
    this.lastFlush = Date.now();
    const pieces = splitText(toMrkdwn(this.text), MAX_SECTION_CHARS);
    for (const [index, piece] of pieces.entries()) {
      const last = index === pieces.length - 1;
      const blocks = final && last ? [sectionBlock(piece), agentContextBlock(this.agent ?? '')] : undefined;
      const existing = this.posted[index];
      if (existing && existing.text === piece && !(final && last)) continue;
      if (existing) {
        await this.client.chat.update({ channel: this.target.channel, ts: existing.ts, text: piece, ...(blocks ? { blocks } : {}) });
        existing.text = piece;
      } else {
        const posted = await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text: piece, ...(blocks ? { blocks } : {}) });
        this.posted.push({ ts: posted.ts ?? '', text: piece });
      }
    }
  }
}

/** The `error` code of a Slack platform error (`{ok:false, error}`), if that is what `err` is. */
export function platformError(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
