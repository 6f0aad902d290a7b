import type { Logger } from './log.js';

/** Why a model was called: an agent's reply, the grounding reviewer, a revision after review, or a summary. */
export type ModelCallPurpose = 'reply' | 'review' | 'revise' | 'summary';

/**
 * The one typed event stream of the core. Logging, Prometheus metrics and user code subscribe to it
 * (`app.telemetry.on('tool.call', (e) => …)`); adapters render a turn from TurnEvent instead.
 */
export type TelemetryEvent =
  | { type: 'turn.start'; thread: string; message: string }
  | { type: 'turn.end'; thread: string; status: string; agent: string; ms: number }
  | {
      type: 'model.call';
      thread: string;
      agent: string;
      model: string;
      purpose: ModelCallPurpose;
      promptTokens: number;
      completionTokens: number;
      toolCalls: number;
      ms: number;
    }
  | {
      type: 'tool.call';
      thread: string;
      agent: string;
      tool: string;
      ok: boolean;
      kind: string | undefined;
      ms: number;
    }
  | { type: 'handoff'; thread: string; from: string; to: string }
  /** Triage consulted several specialists at once for a message with several requests. */
  | { type: 'delegation'; thread: string; from: string; to: string[]; ms: number }
  | {
      type: 'approval';
      thread: string;
      agent: string;
      tool: string;
      decision: 'requested' | 'approve' | 'reject' | 'unclear' | 'let_go';
    }
  /**
   * One verdict of the grounding reviewer on a draft; `revision` 0 is the first draft. `trimmed`: the last check,
   * of the best draft without its unsupported ids, figures and dates, made when no draft passed.
   */
  | {
      type: 'review';
      thread: string;
      agent: string;
      revision: number;
      trimmed: boolean;
      approved: boolean;
      score: number;
      issues: number;
    }
  | { type: 'fact'; thread: string; key: string; by: string }
  /** Older turns were folded into the running summary. */
  | { type: 'compaction'; thread: string; messages: number; tokensBefore: number; tokensAfter: number; ms: number }
  /** The thread's daily token budget is spent; `action` is what the bot did instead of a turn. */
  | { type: 'budget.exhausted'; thread: string; tokens: number; budget: number; action: 'reply' | 'escalate' }
  | { type: 'escalation'; event: 'opened' | 'claimed' | 'resolved' | 'reminded'; thread: string }
  | { type: 'dedupe.hit'; thread: string }
  /** A job had to wait for another job of the same thread (the per-thread lock was taken). */
  | { type: 'lock.wait'; thread: string };

export type TelemetryType = TelemetryEvent['type'];
export type TelemetryOf<T extends TelemetryType> = Extract<TelemetryEvent, { type: T }>;
export type TelemetryListener = (event: TelemetryEvent) => void;

/** One typed stream; a throwing listener is isolated from the others and from the work that emitted. */
export class Telemetry {
  private readonly listeners: TelemetryListener[] = [];

  /** Every event, or only those of one type. Returns the unsubscribe function. */
  on(listener: TelemetryListener): () => void;
  on<T extends TelemetryType>(type: T, listener: (event: TelemetryOf<T>) => void): () => void;
  on<T extends TelemetryType>(
    typeOrListener: T | TelemetryListener,
    maybe?: (event: TelemetryOf<T>) => void,
  ): () => void {
    const listener: TelemetryListener =
      typeof typeOrListener === 'function'
        ? typeOrListener
        : (event) => event.type === typeOrListener && maybe!(event as TelemetryOf<T>);
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  emit(event: TelemetryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A metrics bug or a user hook must never fail a customer's turn.
      }
    }
  }
}

/** The events that are log lines as they are: the line's message is the event type, its fields the event's. */
const LOGGED: ReadonlySet<TelemetryType> = new Set([
  'model.call',
  'tool.call',
  'handoff',
  'delegation',
  'approval',
  'review',
  'fact',
  'compaction',
  'budget.exhausted',
]);

/**
 * The events logged at info: what changed something or went wrong. The rest (each model call, tool call, handoff,
 * review, fact) are per-turn detail at debug: a turn's one info line is `turn.end`, with its model calls and tokens.
 * At a dozen info lines a turn, logging was a seventh of the bot's CPU under load (issue 26's profile).
 */
const INFO: ReadonlySet<TelemetryType> = new Set(['approval']);

/** Logging is one subscriber of the stream: `budget.exhausted` is a warning, approvals info, the rest debug. */
export function logTelemetry(telemetry: Telemetry, log: Logger): () => void {
  return telemetry.on((event) => {
    if (!LOGGED.has(event.type)) return;
    const level = event.type === 'budget.exhausted' ? 'warn' : INFO.has(event.type) ? 'info' : 'debug';
    // Several events per turn: skip building the line when the level is off.
    if (!log.isLevelEnabled(level)) return;
    const { type, ...fields } = event;
    log[level](fields, type);
  });
}
