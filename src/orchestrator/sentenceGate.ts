import { isSupported, SENTENCE_BREAK } from './grounding.js';

/**
 * Where a sentence ends, as `withoutUnsupported` splits them: at a sentence break or a line break. Only whitespace
 * that has arrived ends one, so "$12.50" and "ORD-1001." at the very end wait for more text or the end of the reply.
 */
const SENTENCE_END = new RegExp(`${SENTENCE_BREAK.source}|\\n+`);

/**
 * A checked agent's reply, streamed sentence by sentence: each sentence goes out once the id, figure and date check
 * has passed it, and a sentence that states one its sources lack is dropped, so the customer sees the first words
 * as soon as the first sentence is complete instead of after the whole reply.
 */
export class SentenceGate {
  private pending = '';
  private sent = '';

  /** `truth` is asked for only once a sentence needs checking, so a response that is all tool calls costs nothing. */
  constructor(
    private readonly truth: () => Set<string>,
    private readonly emit: (text: string) => void,
  ) {}

  push(delta: string): void {
    this.pending += delta;
    for (let end = SENTENCE_END.exec(this.pending); end; end = SENTENCE_END.exec(this.pending)) {
      const upTo = end.index + end[0].length;
      this.release(this.pending.slice(0, end.index), end[0]);
      this.pending = this.pending.slice(upTo);
    }
  }

  /** Checks and sends whatever is left; returns all that passed. */
  finish(): string {
    if (this.pending !== '') this.release(this.pending, '');
    this.pending = '';
    return this.sent.trim();
  }

  private release(sentence: string, separator: string): void {
    const supported = sentence.trim() === '' || isSupported(sentence, this.truth());
    // A dropped sentence keeps its line break (a list stays a list), but never adds a third in a row.
    const out = supported ? sentence + separator : separator.includes('\n') ? '\n' : '';
    const shown = (this.sent + out).replace(/\n{3,}/g, '\n\n');
    // Nothing goes out before the first words: leading blank lines are not shown.
    const delta = shown.slice(this.sent.length);
    this.sent = shown;
    if (this.sent.trim() !== '' && delta !== '') this.emit(this.sent === delta ? delta.trimStart() : delta);
  }
}
