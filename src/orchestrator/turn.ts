import type { ThreadState } from '../conversation/threadState.js';
import type { Logger } from '../log.js';
import type { Usage } from '../model/types.js';
import type { Agent, AgentRegistry } from './agent.js';
import { type CitablePassage, type Source, sourcesUsed } from './citations.js';
import type { TurnEvent, TurnEventListener } from './events.js';
import type { DelegateAnswer } from './protocol.js';

export interface TurnInput {
  thread: string;
  userId: string;
  /** The writer's display name, as the platform gives it. */
  userName?: string | undefined;
  /** An email address the platform vouches for (Slack's profile email, the terminal's identity); see requester.ts. */
  verifiedEmail?: string | undefined;
  text: string;
  /** A button press answering the pending approval; when absent, a typed yes or no is read from `text`. */
  decision?: ApprovalDecision | undefined;
  /** When the message was sent (ms since epoch): a typed yes sent before a question was asked does not answer it. */
  sentAt?: number | undefined;
}

export interface ApprovalDecision {
  approvalId: string;
  approve: boolean;
}

export interface TurnResult {
  state: ThreadState;
  /** Everything said to the user this turn. */
  reply: string;
  /** The articles the reply drew on, for adapters to list under it. */
  sources: Source[];
  /** Display name of the agent that spoke last. */
  agent: string;
  modelCalls: number;
  usage: Usage;
}

/** A model failure mid-turn; `state` holds everything that happened before it, so nothing done is forgotten. */
export class TurnError extends Error {
  readonly kind = 'TurnError';
  /** Not enumerable, so a logged TurnError does not carry the customer's conversation into the logs. */
  declare readonly state: ThreadState;
  constructor(
    override readonly cause: unknown,
    state: ThreadState,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    Object.defineProperty(this, 'state', { value: state, enumerable: false });
  }
}

/** A specialist consulted mid-turn (`ask_<agent>`) and what it answered. */
export interface Delegation {
  agentId: string;
  answer: DelegateAnswer;
}

/**
 * One run of the loop: the thread state it changes, the active agent, and what was said. The state is the
 * turn's own (TurnRunner.run takes it over), so it is changed in place rather than copied first. A consulted
 * specialist runs as a child turn with its own history; facts, usage, model calls and a pending approval are
 * the root turn's, so they are shared by every agent of the turn.
 */
export class Turn {
  readonly state: ThreadState;
  readonly root: Turn;
  private current: Agent;
  /** Reply calls of this turn's agents, against the per-turn limit. */
  modelCalls = 0;
  /** Every model call of the turn and its consulted specialists: replies, reviews, revisions, summaries. */
  totalModelCalls = 0;
  handoffs = 0;
  readonly visited: string[];
  readonly said: string[] = [];
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0 };
  /** Passages this turn's searches returned (its consulted specialists' too): the answer's sources come from them. */
  readonly citable: CitablePassage[] = [];
  /** Specialists consulted by this (root) turn, in the order they were asked. */
  readonly delegations: Delegation[] = [];
  /** Set when a consulted specialist asked for a confirmation: the root announces it after its own reply. */
  approvalDeferred = false;
  /** The pending approval the requester's message did not answer: it stays pending and is put again after the reply. */
  heldApproval: string | undefined;

  constructor(
    readonly runner: { agents: AgentRegistry; log: Logger },
    state: ThreadState,
    readonly input: TurnInput,
    private readonly listener: TurnEventListener,
    parent?: Turn,
  ) {
    this.root = parent?.root ?? this;
    this.state = state;
    this.current = runner.agents.get(this.state.activeAgent) ?? runner.agents.defaultAgent;
    this.state.activeAgent = this.current.id;
    this.visited = [this.current.id];
  }

  /** A consulted specialist's turn: its own history of one request; no handoffs, escalation or further consulting. */
  get delegated(): boolean {
    return this.root !== this;
  }

  /** The thread's fact sheet, which every agent of the turn reads and writes. */
  get facts(): ThreadState['facts'] {
    return this.root.state.facts;
  }

  get agent(): Agent {
    return this.current;
  }

  /** The active agent; the thread state follows it, so the next message goes to the same agent. */
  set agent(agent: Agent) {
    this.current = agent;
    this.state.activeAgent = agent.id;
  }

  emit(event: TurnEvent): void {
    try {
      this.listener(event);
    } catch (err) {
      this.runner.log.warn({ thread: this.input.thread, err }, 'turn.listener_error');
    }
  }

  /** Text the bot says without a model call (guards); it also enters history. */
  say(text: string): void {
    this.emit({ type: 'text.delta', agent: this.agent.name, text });
    this.record(text);
  }

  /** Enters history and the reply without streaming it (the adapter renders it from an event instead). */
  record(text: string): void {
    this.said.push(text);
    this.state.history.push({ role: 'assistant', content: text, agent: this.agent.id });
  }

  result(): TurnResult {
    this.state.updatedAt = new Date().toISOString();
    const reply = this.said.join('\n\n');
    return {
      state: this.state,
      reply,
      sources: sourcesUsed(reply, this.citable),
      agent: this.agent.name,
      modelCalls: this.totalModelCalls,
      usage: this.usage,
    };
  }
}
