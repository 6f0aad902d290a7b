import type { Telemetry } from '../telemetry.js';
import type { Agent } from './agent.js';
import { customerSource, groundTruth, policySource, withoutUnsupported } from './grounding.js';
import type { ModelCalls } from './modelCalls.js';
import { mergeDelegateAnswers } from './protocol.js';
import {
  DEFAULT_MAX_REVISIONS,
  REVIEW_INSTRUCTIONS,
  type ReviewOptions,
  reviewDraft,
  reviewPrompt,
  revisionPrompt,
  UNCONFIRMED_REPLY,
} from './review.js';
import { SentenceGate } from './sentenceGate.js';
import type { Turn } from './turn.js';

/** How one model response's text reaches the customer while the model writes it. */
export interface ResponseStream {
  /** Passed to the model call; undefined when the text is held until the response is complete. */
  onText: ((text: string) => void) | undefined;
  /**
   * What the response's `text` becomes in what was said: as streamed (or as checked), the words of a consulted agent
   * before its tool calls as they are; undefined when it waits for `FinalText.of` (a held or consulted reply).
   */
  shown(text: string, final: boolean): string | undefined;
}

export interface FinalTextOptions {
  calls: ModelCalls;
  telemetry: Telemetry;
  /** The agent's system prompt for this turn, for a revision. */
  systemFor(turn: Turn, agent: Agent): string;
  checksFacts(agent: Agent): boolean;
}

/**
 * What an agent's last words become before the customer sees them: checked against their sources by a reviewer when
 * the agent opted in, and kept to what the specialists said when they merge consulted answers.
 */
export class FinalText {
  constructor(private readonly options: FinalTextOptions) {}

  /**
   * Streams the next response as the model writes it, unless it is reviewed first, merges specialists' answers or
   * answers a consulting agent. A checked agent's (`checkFacts`) streams sentence by sentence, each sentence once the
   * id, figure and date check has passed it.
   */
  stream(turn: Turn, review: ReviewOptions | undefined): ResponseStream {
    const held = review !== undefined || turn.delegations.length > 0;
    // A consulted agent's words are its answer to the caller: none reach the customer as they come, and what it says
    // before calling a tool stays part of that answer.
    if (held || turn.delegated)
      return { onText: undefined, shown: (text, final) => (held || final ? undefined : text) };
    const agent = turn.agent;
    const emit = (text: string) => turn.emit({ type: 'text.delta', agent: agent.name, text });
    if (!this.options.checksFacts(agent)) return { onText: emit, shown: (text) => text };
    const gate = new SentenceGate(() => truthOf(turn), emit);
    return {
      onText: (text) => gate.push(text),
      shown: (text, final) => {
        const passed = gate.finish();
        if (passed !== '' || !final || text.trim() === '') return passed;
        emit(UNCONFIRMED_REPLY);
        return UNCONFIRMED_REPLY;
      },
    };
  }

  /** The agent's last words, after review when it opted in; a merge of specialists' answers may add no figure of its own. */
  async of(turn: Turn, draft: string, review: ReviewOptions | undefined): Promise<string> {
    if (draft.trim() === '') return draft;
    if (review) return this.reviewed(turn, draft, review);
    if (this.options.checksFacts(turn.agent)) draft = withoutUnsupported(draft, truthOf(turn)) || UNCONFIRMED_REPLY;
    if (turn.delegations.length === 0) return draft;
    const sources = [
      customerSource(turn.input.text),
      ...turn.delegations.map((d) => JSON.stringify(d.answer)),
      ...Object.values(turn.facts).map((f) => f.value),
    ];
    return (
      withoutUnsupported(draft, groundTruth(sources)) || mergeDelegateAnswers(turn.delegations.map((d) => d.answer))
    );
  }

  private async reviewed(turn: Turn, draft: string, review: ReviewOptions): Promise<string> {
    const agent = turn.agent;
    const sources = sourcesOf(turn);
    return reviewDraft(draft, sources, review.maxRevisions ?? DEFAULT_MAX_REVISIONS, {
      review: (text, listed) =>
        this.options.calls.aside(turn, agent, 'review', {
          system: REVIEW_INSTRUCTIONS,
          messages: [{ role: 'user', content: reviewPrompt(text, listed) }],
          json: true,
          context: { draft: text, sources: listed },
        }),
      revise: (text, issues) =>
        this.options.calls.aside(turn, agent, 'revise', {
          system: this.options.systemFor(turn, agent),
          messages: [
            ...turn.state.history,
            { role: 'assistant', content: text },
            { role: 'user', content: revisionPrompt(issues) },
          ],
          context: { draft: text, sources, issues, facts: this.options.calls.factValues(turn) },
        }),
      report: (verdict, revision, trimmed) =>
        this.options.telemetry.emit({
          type: 'review',
          thread: turn.input.thread,
          agent: agent.id,
          revision,
          trimmed,
          approved: verdict.approved,
          score: verdict.score,
          issues: verdict.issues.length,
        }),
    });
  }
}

/** What an agent's policy text establishes, by instructions text: the same few agents' instructions, turn after turn. */
const policies = new Map<string, Set<string>>();
const MAX_POLICIES = 64;

function policyTruth(instructions: string): Set<string> {
  let truth = policies.get(instructions);
  if (truth === undefined) {
    if (policies.size >= MAX_POLICIES) policies.clear();
    truth = groundTruth([policySource(instructions)]);
    policies.set(instructions, truth);
  }
  return truth;
}

/**
 * The ids, figures and dates a checked reply may state, worked out once per turn and again only when its sources
 * have grown (a tool result, a new fact): a streamed reply and its final check share one.
 */
const truths = new WeakMap<Turn, { signature: string; truth: Set<string> }>();

function truthOf(turn: Turn): Set<string> {
  const facts = Object.values(turn.facts).map((fact) => fact.value);
  const signature = `${turn.agent.id}|${turn.state.history.length}|${turn.state.summary?.length}|${facts.join('\u0000')}`;
  const known = truths.get(turn);
  if (known?.signature === signature) return known.truth;
  const truth = new Set(policyTruth(turn.agent.instructions));
  for (const key of groundTruth(recordsOf(turn))) truth.add(key);
  truths.set(turn, { signature, truth });
  return truth;
}

/** What a checked reply may state: the agent's own policy text, tool results, the facts and summary; the customer's words as their claims. */
function sourcesOf(turn: Turn): string[] {
  return [policySource(turn.agent.instructions), ...recordsOf(turn)];
}

/** The sources of a turn besides its agent's policy text. */
function recordsOf(turn: Turn): string[] {
  const sources: string[] = [];
  for (const m of turn.state.history)
    if (m.role === 'tool' || m.role === 'user') sources.push(m.role === 'user' ? customerSource(m.content) : m.content);
  for (const [key, fact] of Object.entries(turn.facts)) sources.push(`${key}: ${fact.value}`);
  if (!turn.delegated && turn.state.summary) sources.push(turn.state.summary);
  return sources;
}
