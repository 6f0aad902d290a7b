import type { AnyChunk, KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { EditedReply } from '../../src/conversation/editedReply.js';
import { splitText } from '../../src/conversation/messageSplit.js';
import { postWithRetries } from '../../src/conversation/replyRetries.js';
import type { Logger } from '../../src/log.js';
import { agentContextBlock, MAX_SECTION_CHARS, MAX_STREAMED_MESSAGE_CHARS, sectionBlock, toMrkdwn } from './format.js';

/** The fallback edits its message at most this often, well inside Slack's per-channel rate limit. */
export const UPDATE_INTERVAL_MS = 1_000;
/**
 * Text is gathered into streaming calls of this many characters, so a reply costs a handful of calls, not one per
 * token. Once native streaming has worked for the app (`eager`), the first words go out at once and later text at
 * least every STREAM_FLUSH_MS.
 */
const STREAM_BUFFER_CHARS = 256;
const STREAM_FLUSH_MS = 250;
/** Platform errors that say nothing about whether streaming is allowed here: try streaming again next time. */
const TRANSIENT_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'ratelimited',
  'request_timeout',
  'service_unavailable',
  'team_added_to_org',
]);

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
  /**
   * Native streaming has worked for this app before: send the first words the moment they arrive. Until then they
   * wait for a full buffer or the end, so a refusal found on the first try costs no early post.
   */
  eager?: boolean;
  /** Called when Slack has started a native stream. */
  onNativeStarted?(): void;
  log: Logger;
  /** Called when Slack refuses native streaming here (not for transient errors), so later replies skip it. */
  onNativeRefused(reason: string): void;
  /** Called with the ts of the reply's first message once Slack has it (so a resumed turn can find it). */
  onFirstMessage?(ts: string): void;
  /** The reply's first message, posted by an earlier try: it is edited into the full reply instead of posting anew. */
  resumeTs?: string | undefined;
  /** Pauses between tries to post the final text (REPLY_RETRY_DELAYS_MS in production). */
  retryDelaysMs: readonly number[];
}

/**
 * The Web API client already retries HTTP errors, network failures and 429s with backoff (its retryConfig), so
 * trying those again here would only multiply its waits. What it does not retry is a transient error Slack reports
 * inside a 200 (`internal_error`, `service_unavailable`…); any other platform error is a refusal.
 */
export function slackRetryable(err: unknown): boolean {
  const code = platformError(err);
  return code !== undefined && TRANSIENT_ERRORS.has(code);
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
  private flushTimer: NodeJS.Timeout | undefined;
  /** Set once finish() has begun: the text still coming is sent by its final step, on the stop. */
  private finishing = false;
  /** Characters of `text` that finished streamed messages and the current one already show. */
  private shown = 0;
  /** Fallback: where in `text` the posted messages start, and those messages, one per piece. */
  private fallbackFrom = 0;
  private readonly edited: EditedReply<string>;
  private firstRecorded = false;

  constructor(
    private readonly client: WebClient,
    private readonly target: ReplyTarget,
    private readonly options: ReplyOptions,
  ) {
    this.native = options.native;
    const { channel, threadTs } = target;
    const blocks = (text: string, last: boolean) =>
      last ? { blocks: [sectionBlock(text), agentContextBlock(this.agent ?? '')] } : {};
    this.edited = new EditedReply<string>(
      {
        post: async (text, last) => {
          const posted = await client.chat.postMessage({ channel, thread_ts: threadTs, text, ...blocks(text, last) });
          if (!posted.ts) throw new Error('chat.postMessage returned no ts');
          this.firstMessage(posted.ts);
          return posted.ts;
        },
        edit: async (ts, text, last) => {
          await client.chat.update({ channel, ts, text, ...blocks(text, last) });
          return ts;
        },
      },
      UPDATE_INTERVAL_MS,
      (step) => this.enqueue(step),
    );
    if (options.resumeTs) {
      this.native = false;
      this.firstRecorded = true;
      this.edited.adopt(options.resumeTs);
    }
  }

  private firstMessage(ts: string): void {
    if (this.firstRecorded) return;
    this.firstRecorded = true;
    this.options.onFirstMessage?.(ts);
  }

  get hasText(): boolean {
    return this.text !== '';
  }

  /** Adds streamed text from `agent`. */
  append(agent: string, delta: string): void {
    if (delta === '') return;
    this.agent = agent;
    this.text += delta;
    if (!this.native) {
      this.edited.schedule(() => this.fallbackPieces());
      return;
    }
    const first = this.text === delta;
    this.pending += delta;
    if ((first && this.options.eager) || this.pending.length >= STREAM_BUFFER_CHARS) {
      this.enqueue(() => this.sendPending(false));
    } else if (this.options.eager && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.enqueue(() => this.sendPending(false));
      }, STREAM_FLUSH_MS);
    }
  }

  /** Adds a whole paragraph (an apology, a refusal) after whatever was said. */
  appendParagraph(agent: string, text: string): void {
    this.append(agent, this.text === '' ? text : `\n\n${text}`);
  }

  /**
   * Writes the rest, and the quiet agent line under the last message, retrying what Slack's client does not. Rejects
   * when Slack still has not taken it: the caller then leaves the message waiting, to be finished later.
   */
  async finish(): Promise<void> {
    this.finishing = true;
    this.edited.cancel();
    clearTimeout(this.flushTimer);
    // Steps while the text streamed in are best effort: whatever they missed, the final step writes.
    await this.chain;
    if (this.text === '') return;
    const { channel, threadTs } = this.target;
    // Safe to repeat: a failed stream has fallen back by then, and a sync writes only what Slack does not show yet.
    const finalStep = async () => {
      if (this.native) await this.sendPending(true);
      if (!this.native) await this.edited.sync(this.fallbackPieces(), true);
    };
    await postWithRetries(finalStep, {
      delaysMs: this.options.retryDelaysMs,
      retryable: slackRetryable,
      log: this.options.log,
      fields: { platform: 'slack', channel, thread: threadTs },
    });
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
      // A step under way when the reply finishes leaves what arrived meanwhile to the stop: one call, not two.
      while (this.pending !== '' && (final || !this.finishing)) {
        // A streamed message holds at most MAX_STREAMED_MESSAGE_CHARS; the reply continues in the next one.
        if (this.stream && this.stream.chars >= MAX_STREAMED_MESSAGE_CHARS) await this.stopStream([]);
        const piece = this.pending.slice(0, MAX_STREAMED_MESSAGE_CHARS - (this.stream?.chars ?? 0));
        const chunks = [{ type: 'markdown_text' as const, text: piece }];
        if (final && this.stream && piece === this.pending) {
          // The last text rides on the stop, as Slack's own ChatStreamer does: one call instead of two.
          await this.stopStream([agentContextBlock(this.agent ?? '')], chunks);
          this.shown += piece.length;
          this.pending = '';
          return;
        }
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
          this.options.onNativeStarted?.();
          this.firstMessage(started.ts);
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

  private async stopStream(blocks: KnownBlock[], chunks: AnyChunk[] = []): Promise<void> {
    const { ts } = this.stream!;
    await this.client.chat.stopStream({
      channel: this.target.channel,
      ts,
      ...(chunks.length ? { chunks } : {}),
      ...(blocks.length ? { blocks } : {}),
    });
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
    await this.edited.sync(this.fallbackPieces(), false);
  }

  /** Fallback: the text Slack does not show yet, as mrkdwn pieces that fit a section block. */
  private fallbackPieces(): string[] {
    const rest = this.text.slice(this.fallbackFrom).replace(/^\s+/, '');
    return rest === '' ? [] : splitText(toMrkdwn(rest), MAX_SECTION_CHARS);
  }
}

/** The `error` code of a Slack platform error (`{ok:false, error}`), if that is what `err` is. */
export function platformError(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
