import { z } from 'zod';
import { escalationSchema, resolvedEscalationSchema } from '../escalation/escalation.js';
import { chatMessageSchema, type Usage } from '../model/types.js';
import type { RecordStore } from './store.js';

export const THREAD_STATE_SCHEMA_VERSION = 6;

const tokenCountSchema = z.object({ promptTokens: z.number(), completionTokens: z.number(), calls: z.number() });

/** One entry of the thread's fact sheet: what is known (an order id, the customer's email), who wrote it and when. */
export const factSchema = z.object({
  value: z.string(),
  /** `<agent>` when an agent noted it, `<agent>/<tool>` when a tool wrote it. */
  by: z.string(),
  at: z.string(),
});
export type Fact = z.infer<typeof factSchema>;

export const pendingApprovalSchema = z.object({
  id: z.string(),
  agent: z.string(),
  tool: z.string(),
  input: z.unknown(),
  /** Platform user id of the person who must confirm. */
  requestedBy: z.string(),
  question: z.string(),
  /** When the question was put (asked, or asked again); a typed yes sent before it does not answer it. */
  createdAt: z.string(),
  /** The process run that put the question: a yes reaching a later run (after a restart) gets the question again first. */
  askedIn: z.string().optional(),
  /** Replies from the requester that did not answer it; see MAX_CONFIRMATION_REMINDERS. */
  reminders: z.number().int().min(0).optional(),
});
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** The outcome of the thread's latest saved turn, so a replica resuming after a crash posts it instead of running it again. */
export const lastAnswerSchema = z.object({
  message: z.string(),
  status: z.enum(['answered', 'failed', 'rejected', 'relayed']),
  reply: z.string(),
  agent: z.string(),
  /** The articles the reply drew on (added without a schema version: older states simply have none). */
  sources: z.array(z.object({ title: z.string(), url: z.string().optional() })).optional(),
});
export type LastAnswer = z.infer<typeof lastAnswerSchema>;

export const threadStateSchema = z.object({
  schemaVersion: z.literal(THREAD_STATE_SCHEMA_VERSION),
  thread: z.string(),
  activeAgent: z.string(),
  /** Platform user id of the person who started the conversation: the customer when staff escalate it by hand. */
  startedBy: z.string().nullable(),
  history: z.array(chatMessageSchema),
  pendingApproval: pendingApprovalSchema.nullable(),
  /**
   * Further actions asked for while one waited for confirmation ("cancel ORD-1 and ORD-2"), oldest first: each is
   * asked in turn once the one before it is answered, so none is dropped and the customer answers one at a time.
   */
  queuedApprovals: z.array(pendingApprovalSchema),
  /** Set while people have the conversation: the bot relays instead of answering. */
  escalation: escalationSchema.nullable(),
  /** Past escalations, newest last, so the bot knows the thread's history with staff. */
  escalations: z.array(resolvedEscalationSchema),
  /** Set with every saved turn; see lastAnswerSchema. */
  lastAnswer: lastAnswerSchema.nullable(),
  /** Shared facts every agent sees, keyed by a snake_case name; they survive handoffs, compaction and escalation. */
  facts: z.record(z.string(), factSchema),
  /**
   * Email addresses each participant (platform user id) wrote in this conversation, lowercased: with an order's
   * number, the address on it shows the order is theirs (see orchestrator/requester.ts). Kept apart from the
   * history, which compaction folds away.
   */
  givenEmails: z.record(z.string(), z.array(z.string())),
  /** Running summary of the turns compacted out of `history` (see ContextWindow); null until the first compaction. */
  summary: z.string().nullable(),
  usage: z.object({
    total: tokenCountSchema,
    byAgent: z.record(z.string(), tokenCountSchema),
    /** Tokens spent on the UTC day `day` (YYYY-MM-DD), for the optional daily budget per thread. */
    today: z.object({ day: z.string(), tokens: z.number() }),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ThreadState = z.infer<typeof threadStateSchema>;

/** The UTC day of `now` as YYYY-MM-DD, the key of a thread's daily token count. */
export const utcDay = (now = new Date()) => now.toISOString().slice(0, 10);

/** Counts one model call's tokens against the thread, the agent (or the step, e.g. the hand-over summary) and today. */
export function recordUsage(totals: ThreadState['usage'], agentId: string, usage: Usage): void {
  totals.byAgent[agentId] ??= { promptTokens: 0, completionTokens: 0, calls: 0 };
  const byAgent = totals.byAgent[agentId];
  for (const bucket of [totals.total, byAgent]) {
    bucket.promptTokens += usage.promptTokens;
    bucket.completionTokens += usage.completionTokens;
    bucket.calls += 1;
  }
  const day = utcDay();
  if (totals.today.day !== day) totals.today = { day, tokens: 0 };
  totals.today.tokens += usage.promptTokens + usage.completionTokens;
}

export class ThreadStateError extends Error {
  readonly kind = 'ThreadStateError';
}

/**
 * Each entry upgrades a stored state from version N to N+1. When the schema changes, add a migration here
 * and a fixture of the old version under test/fixtures/, so a live conversation is never stranded.
 */
const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {
  // v2: human escalation.
  1: (old) => ({ ...old, schemaVersion: 2, startedBy: null, escalation: null, escalations: [] }),
  // v3: crash-safe turns (the latest turn's outcome, for a replay after a crash).
  2: (old) => ({ ...old, schemaVersion: 3, lastAnswer: null }),
  // v4: shared facts, compaction's running summary, and tokens spent today.
  3: (old) => ({
    ...old,
    schemaVersion: 4,
    facts: {},
    summary: null,
    usage: { ...(old.usage as object), today: { day: '', tokens: 0 } },
  }),
  // v5: actions queued for confirmation behind the pending one.
  4: (old) => ({ ...old, schemaVersion: 5, queuedApprovals: [] }),
  // v6: whose data a participant may see (the email addresses they gave), and when and where a question was put.
  5: (old) => ({ ...old, schemaVersion: 6, givenEmails: {} }),
};

export function newThreadState(thread: string, activeAgent: string, now = new Date()): ThreadState {
  const stamp = now.toISOString();
  return {
    schemaVersion: THREAD_STATE_SCHEMA_VERSION,
    thread,
    activeAgent,
    startedBy: null,
    history: [],
    pendingApproval: null,
    queuedApprovals: [],
    escalation: null,
    escalations: [],
    lastAnswer: null,
    facts: {},
    givenEmails: {},
    summary: null,
    usage: { total: { promptTokens: 0, completionTokens: 0, calls: 0 }, byAgent: {}, today: { day: '', tokens: 0 } },
    createdAt: stamp,
    updatedAt: stamp,
  };
}

/** Reads a stored state of any known version; throws ThreadStateError instead of guessing, so nothing is overwritten. */
export function parseThreadState(raw: unknown): ThreadState {
  if (typeof raw !== 'object' || raw === null) throw new ThreadStateError('stored thread state is not an object');
  let value = raw as Record<string, unknown>;
  const stored = value.schemaVersion;
  if (typeof stored !== 'number') throw new ThreadStateError('stored thread state has no schemaVersion');
  let version = stored;
  if (version > THREAD_STATE_SCHEMA_VERSION) {
    throw new ThreadStateError(
      `stored thread state is schema v${version}, newer than this build (v${THREAD_STATE_SCHEMA_VERSION})`,
    );
  }
  while (version < THREAD_STATE_SCHEMA_VERSION) {
    const migrate = MIGRATIONS[version];
    if (!migrate) throw new ThreadStateError(`no migration from thread state schema v${version}`);
    value = migrate(value);
    version = value.schemaVersion as number;
  }
  const parsed = threadStateSchema.safeParse(value);
  if (!parsed.success) throw new ThreadStateError(`stored thread state is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** How many threads' last saves SavedStates remembers (about 100 bytes each); the oldest are forgotten first. */
const REMEMBERED_SAVES = 10_000;

/**
 * The states this process saved, one mark per thread, so that loading one back skips validating it again:
 * this build wrote it moments ago, from a validated state. A state saved since by anyone else (another
 * replica, an older build) differs in its update time, its last answer or its length, and is validated as usual.
 */
export class SavedStates {
  private readonly marks = new Map<string, string>();

  remember(state: ThreadState): void {
    this.marks.delete(state.thread);
    this.marks.set(state.thread, markOf(state));
    if (this.marks.size > REMEMBERED_SAVES) this.marks.delete(this.marks.keys().next().value!);
  }

  /** True when `raw` is, by its mark, the state this process last saved for `thread`. */
  wrote(thread: string, raw: unknown): raw is ThreadState {
    const mark = this.marks.get(thread);
    if (mark === undefined || typeof raw !== 'object' || raw === null) return false;
    const state = raw as Partial<ThreadState>;
    return (
      state.schemaVersion === THREAD_STATE_SCHEMA_VERSION &&
      state.thread === thread &&
      Array.isArray(state.history) &&
      markOf(state as ThreadState) === mark
    );
  }
}

function markOf(state: ThreadState): string {
  return `${state.updatedAt}|${state.lastAnswer?.message ?? ''}|${state.history.length}|${state.activeAgent}`;
}

/**
 * Saves a thread's state. Each save renews its time to live, `retentionMs` (THREAD_RETENTION; undefined keeps it), so
 * a thread expires that long after it was last active and the next message in it starts afresh. While an escalation
 * is live the state is kept without expiry: staff may take their time, and relaying, claiming and resolving need it;
 * the save after the resolve sets the retention again.
 */
export async function saveThreadState(
  threads: RecordStore,
  state: ThreadState,
  retentionMs: number | undefined,
): Promise<void> {
  await threads.set(state.thread, state, state.escalation ? undefined : retentionMs);
}

/** A thread's stored state, or a fresh one for a thread never seen; `saved` skips validating this process's own saves. */
export async function loadThreadState(
  threads: RecordStore,
  thread: string,
  defaultAgentId: string,
  saved?: SavedStates,
): Promise<ThreadState> {
  const raw = await threads.get<unknown>(thread);
  if (raw === undefined) return newThreadState(thread, defaultAgentId);
  return saved?.wrote(thread, raw) ? raw : parseThreadState(raw);
}
