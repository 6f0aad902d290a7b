import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/log.js';
import { splitText } from '../../src/conversation/messageSplit.js';
import { agentContextBlock, MAX_SECTION_CHARS, MAX_STREAMED_MESSAGE_CHARS, sectionBlock, toMrkdwn } from './format.js';

/** The fallback edits its message at most this often, well inside Slack's per-channel rate limit. */
export const UPDATE_INTERVAL_MS = 1_000;
/** Characters gathered before each streaming call, so a reply costs a handful of calls, not one per token. */
const STREAM_BUFFER_CHARS = 256;
/** Platform errors that say nothing about whether streaming is allowed here: try streaming again next time. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'ratelimited', 'request_timeout', 'service_unavailable', 'team_added_to_org']);

export interface ReplyTarget {
  channel: string;
  threadTs: string;
  /** The person being answered, and their team; streaming outside DMs names its recipient. */
  userId: string;
  userTeam: string;
}

export interface ReplyOptions {
  /** Try Slack's native streaming first; false goes straight to post-and-update. */
  native: boolean;
  log: Logger;
  /** Called when Slack refuses native streaming here (not for transient errors), so later replies skip it. */
  onNativeRefused(reason: string): void;
}

/**
 * One reply in one thread, written as the turn produces it: Slack's native chat streaming
 * (`chat.startStream` / `appendStream` / `stopStream`) where Slack allows it, otherwise a posted message edited
 * at most once a second. Slack calls are chained, so they happen in order. The writer knows how much of the text
 * Slack already shows, so when streaming fails midway the fallback posts only the rest: nothing lost, nothing twice.
 */
export class SlackReply {
  private text = '';
  private agent: string | undefined;
  private native: boolean;
  private chain: Promise<void> = Promise.resolve();
  /** Native: the message being streamed, how much of it Slack shows, and text not sent yet. */
  private stream: { ts: string; chars: number } | undefined;
  private pending = '';
  /** Characters of `text` that finished streamed messages and the current one already show. */
  private shown = 0;
  /** Fallback: where in `text` the posted messages start, and the messages, one per piece. */
  private fallbackFrom = 0;
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
    if (!this.native) return this.scheduleFlush();
    this.pending += delta;
    if (this.pending.length >= STREAM_BUFFER_CHARS) this.enqueue(() => this.sendPending(false));
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
      if (this.native) await this.sendPending(true);
      if (!this.native) await this.flush(true);
    });
    return this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.options.log.error({ err, channel: this.target.channel, thread: this.target.threadTs }, 'slack.reply_failed');
    });
  }

  /** Native: sends what is buffered; `final` stops the stream with the agent line. Falls back on any failure. */
  private async sendPending(final: boolean): Promise<void> {
    if (!this.native) return;
    try {
      while (this.pending !== '') {
        // A streamed message holds at most MAX_STREAMED_MESSAGE_CHARS; the reply continues in the next one.
        if (this.stream && this.stream.chars >= MAX_STREAMED_MESSAGE_CHARS) await this.stopStream([]);
        const piece = this.pending.slice(0, MAX_STREAMED_MESSAGE_CHARS - (this.stream?.chars ?? 0));
        const chunks = [{ type: 'markdown_text' as const, text: piece }];
        if (this.stream) {
          await this.client.chat.appendStream({ channel: this.target.channel, ts: this.stream.ts, chunks });
        } else {
          const started = await this.client.chat.startStream({
            channel: this.target.channel,
            thread_ts: this.target.threadTs,
            recipient_team_id: this.target.userTeam,
            recipient_user_id: this.target.userId,
            chunks,
          });
          if (!started.ts) throw new Error('chat.startStream returned no ts');
          this.stream = { ts: started.ts, chars: 0 };
        }
        this.stream.chars += piece.length;
        this.shown += piece.length;
        this.pending = this.pending.slice(piece.length);
      }
      if (final && this.stream) await this.stopStream([agentContextBlock(this.agent ?? '')]);
    } catch (err) {
      await this.fallBack(err);
    }
  }

  private async stopStream(blocks: KnownBlock[]): Promise<void> {
    const { ts } = this.stream!;
    await this.client.chat.stopStream({ channel: this.target.channel, ts, ...(blocks.length ? { blocks } : {}) });
    this.stream = undefined;
  }

  /**
   * Native streaming failed: end the open stream if Slack lets us, then post and update the text Slack does not
   * show yet. A refusal (not a transient error) is remembered, so later replies here skip the attempt.
   */
  private async fallBack(err: unknown): Promise<void> {
    const code = platformError(err);
    const reason = code ?? (err instanceof Error ? err.message : String(err));
    this.options.log.warn({ channel: this.target.channel, reason }, 'slack.stream_failed');
    if (this.stream) {
      await this.client.chat.stopStream({ channel: this.target.channel, ts: this.stream.ts }).catch(() => undefined);
      this.stream = undefined;
    }
    this.native = false;
    this.pending = '';
    this.fallbackFrom = this.shown;
    if (code !== undefined && !TRANSIENT_ERRORS.has(code)) this.options.onNativeRefused(code);
    await this.flush(false);
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
    const rest = this.text.slice(this.fallbackFrom).replace(/^\s+/, '');
    if (rest === '') return;
    const pieces = splitText(toMrkdwn(rest), MAX_SECTION_CHARS);
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
        if (!posted.ts) throw new Error('chat.postMessage returned no ts');
        this.posted.push({ ts: posted.ts, text: piece });
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
